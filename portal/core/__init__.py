"""The kernel below every feature: who is acting, what time it is, markings and headers."""
