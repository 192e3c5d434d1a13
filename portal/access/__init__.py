"""The authorization kernel: permissions, the pure policy, the gate, route declarations."""
