"""The browsable API docs (/api/docs/) under the site's Content-Security-Policy,
in a real Chromium: Swagger UI renders the operations, and the page raises no
CSP violation (its setup script is a separate file, not inline code)."""

import pytest

pytestmark = pytest.mark.e2e

COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile + ':' + e.lineNumber);
});
"""


def test_api_docs_render_the_operations_without_csp_violations(app, browser):
    context = browser.new_context(base_url=app.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    console = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text or m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    page.add_init_script(COLLECT_VIOLATIONS)
    try:
        response = page.goto("/api/docs/")
        assert response.status == 200
        assert "unsafe-eval" not in response.headers["content-security-policy"]
        page.wait_for_selector(".opblock-summary-path", timeout=20000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert "/api/v1/reports/" in paths and "/api/v1/auth/token/" in paths
        assert len(paths) >= 9
        page.locator(".opblock-summary-path", has_text="/api/v1/categories/").first.click()  # an operation opens
        page.wait_for_selector(".opblock.is-open .responses-wrapper")
        assert page.evaluate("window.__cspViolations") == []
        assert console == []
    finally:
        context.close()
