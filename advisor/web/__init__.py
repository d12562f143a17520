"""The fitter's studio in the browser: `advisor serve` (Starlette, Jinja2, a few lines of JS)."""
