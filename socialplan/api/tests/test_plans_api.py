"""The JSON API for plans: list, the whole tree, the reconciliation."""


def test_list(client, durres_plan):
    response = client.get("/api/v1/plans")
    assert response.status_code == 200
    assert [p["slug"] for p in response.json()] == ["durres-2025-2028"]


def test_whole_tree(client, durres_plan, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/plans/durres-2025-2028")
    assert response.status_code == 200
    plan = response.json()
    assert plan["municipality"] == "Durrës"
    assert [p["number"] for p in plan["priorities"]] == [1, 2, 3]
    activities = [
        a
        for p in plan["priorities"]
        for o in p["objectives"]
        for m in o["measures"]
        for a in m["activities"]
    ]
    assert len(activities) == 85
    a13 = next(a for a in activities if a["code"] == "A 1.3")
    assert a13["budget_lines"][0] == {
        "printed": a13["budget_lines"][0]["printed"],
        "amount": 30000,
        "per_year": True,
        "total": 90000,
        "source": "municipality",
        "funder": "",
        "interpretation": "",
        "line": a13["budget_lines"][0]["line"],
    }
    assert len(plan["declared_totals"]) == 27


def test_budget(client, durres_plan):
    body = client.get("/api/v1/plans/durres-2025-2028/budget").json()
    p1, p2, p3 = body["priorities"]
    assert p1["computed"]["total"] == 29_295_000 and p1["discrepancies"] == []
    assert p2["computed"]["municipality"] == 2_075_942_036
    assert {d["where"] for d in p2["discrepancies"]} == {"summary_table", "action_plan_total"}
    assert p3["computed"]["by_source"]["donor_uncovered"] == 21_335_000
    whole = body["whole"]
    assert whole["declared"][0]["line"] == 4437
    assert body["conflicts_between_declared_totals"][0]["scope"] == "P2"
    assert len(body["interpretations"]) == 10
    assert len(body["unknown_amounts"]) == 7
    assert any(not a["agrees"] for a in body["arithmetic_of_declared_totals"])


def test_unknown_plan_is_404(client, db):
    assert client.get("/api/v1/plans/nowhere").status_code == 404
    assert client.get("/api/v1/plans/nowhere/budget").status_code == 404


def test_openapi_describes_the_endpoints(client, db):
    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/plans", "/api/v1/plans/{slug}", "/api/v1/plans/{slug}/budget"} <= set(
        spec["paths"]
    )
    assert "BudgetOut" in spec["components"]["schemas"]
