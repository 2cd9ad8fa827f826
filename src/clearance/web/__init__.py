"""Review in the browser: ``clearance serve`` — FastAPI, server-rendered Jinja2 pages with
htmx, and a JSON API (OpenAPI at ``/api/openapi.json``) over the same register."""
