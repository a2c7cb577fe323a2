from axe_playwright_python.sync_playwright import Axe


def test_probe(page, live_server):
    page.goto("/")
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=x><p style=\"color:#ccc\">faint</p><input id=zz>')"
    )
    r = Axe().run(page)
    print("VIOL", [(v["id"], v["impact"]) for v in r.response["violations"]])
    r2 = Axe().run(page, options={"resultTypes": ["violations"]})
    print(
        "VIOL2",
        [(v["id"], v["impact"]) for v in r2.response["violations"]],
        len(r2.response.get("passes", [])),
        r2.response["testEngine"],
    )
