// Initialise GOV.UK Frontend's components. Loaded as a module with the page's CSP nonce.
import { initAll } from "/static/govuk/govuk-frontend.min.js";

initAll();
