"""Buyer tenancy in the admin: a procurement user of one buyer never sees or changes another's.

Every admin URL pattern and every admin action is enumerated: a route or an action added
without a case here makes ``test_every_route_and_action_has_a_case`` fail.
"""

from datetime import date

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from billing.models import BillingRun, QueryMessage, Statement, StatementLine, StatementQuery
from billing.queries import statement_query_raise
from billing.services import statement_approve, statement_issue, statement_price_draft
from contracts.models import (
    Component,
    Contract,
    ContractImport,
    Membership,
    Organisation,
    SelfBillingAgreement,
    TermsVersion,
)
from kpis.models import KpiBatch, KpiResult
from pricing.period import Period
from tests.integration.billing.conftest import CONTRACT, HEADER, load_contract, load_kpis, month
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookMessage
from webhooks.services import webhook_test_message_create

pytestmark = pytest.mark.django_db

# Strings that identify buyer B's data; none may appear in any response to A's user.
B_MARKERS = ("globex", "beta cx")
B_CONTRACT = "GLOBEX-001"


def buyer_world(*, code: str, name: str, supplier: str, reference: str) -> dict:
    """One buyer with a procurement user, a contract, an issued January, a draft February,
    a billing run and a finance user's API token."""
    contract = load_contract(reference, supplier, buyer_code=code, buyer_name=name)
    for period, voice in (("2026-01", 1400), ("2026-02", 1500)):
        load_kpis(month(reference, period, voice, 78), name=f"{reference}-{period}.csv")
    issued = statement_price_draft(contract_id=contract.pk, period=Period.parse("2026-01"))
    statement_approve(statement_id=issued.pk)
    issued = statement_issue(statement_id=issued.pk, issue_date=date(2026, 2, 3))
    draft = statement_price_draft(contract_id=contract.pk, period=Period.parse("2026-02"))
    run = BillingRun.objects.create(period="2026-02", contract_reference=reference, status="succeeded")
    user = User.objects.create_user(f"procurement-{code.lower()}", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Procurement"))
    Membership.objects.create(user=user, organisation=contract.buyer, role="procurement")
    finance = User.objects.create_user(f"finance-{code.lower()}")
    Membership.objects.create(user=finance, organisation=contract.buyer, role="finance")
    token, key = AuthToken.objects.create(user=finance)
    return {
        "contract": contract,
        "issued": issued,
        "draft": draft,
        "run": run,
        "user": user,
        "token": token,
        "key": key,
        "batch": KpiBatch.objects.filter(file_name=f"{reference}-2026-02.csv").get(),
        "query": supplier_query(issued),
        "webhook": buyer_webhook(contract.buyer, code),
    }


def buyer_webhook(buyer, code: str) -> WebhookDelivery:
    """An endpoint of the buyer's (its URL names the buyer), a message to it and one attempt."""
    endpoint = WebhookEndpoint.objects.create(
        buyer=buyer, url=f"https://hooks.{code.lower()}.example/in", event_types=["statement.issued"]
    )
    message = webhook_test_message_create(endpoint_id=endpoint.pk)
    WebhookMessage.objects.filter(pk=message.pk).update(status="failed")  # a resend would change it
    return WebhookDelivery.objects.create(
        message=message, attempt=1, status_code=500, response_excerpt=f"{code} is down", at=message.created_at
    )


def supplier_query(statement) -> StatementQuery:
    """An open query of the statement's supplier, with its first message."""
    supplier = User.objects.create_user(f"supplier-{statement.contract.reference.lower()}")
    Membership.objects.create(user=supplier, organisation=statement.contract.supplier, role="supplier")
    return statement_query_raise(statement_id=statement.pk, user=supplier, text="Why this amount?")


@pytest.fixture
def buyers():
    return {
        "a": buyer_world(code="ACME", name="Acme Telecom plc", supplier="Alpha CX Ltd", reference="ACME-001"),
        "b": buyer_world(
            code="GLOBEX", name="Globex Mobile Ltd", supplier="Beta CX Ltd", reference=B_CONTRACT
        ),
    }


def b_objects(b: dict) -> dict:
    """Buyer B's object of every admin-registered model that has one."""
    contract = b["contract"]
    version = contract.versions.get()
    return {
        Organisation: contract.buyer,
        Contract: contract,
        TermsVersion: version,
        Component: version.components.first(),
        KpiBatch: b["batch"],
        KpiResult: contract.kpi_results.first(),
        BillingRun: b["run"],
        Statement: b["issued"],
        StatementLine: b["issued"].lines.first(),
        StatementQuery: b["query"],
        Membership: b["user"].membership,
        SelfBillingAgreement: contract.self_billing_agreements.get(),
        ContractImport: contract.imports.get(),
        AuthToken: b["token"],
        User: b["user"],
        TOTPDevice: TOTPDevice.objects.create(user=b["user"], name="Globex phone"),
        WebhookEndpoint: b["webhook"].message.endpoint,
        WebhookMessage: b["webhook"].message,
        WebhookDelivery: b["webhook"],
    }


def b_fingerprint(b: dict) -> list:
    """Everything of B's that a request could change."""
    contract = Contract.objects.get(pk=b["contract"].pk)
    return [
        list(Organisation.objects.filter(pk__in=[contract.buyer_id, contract.supplier_id]).values()),
        list(Contract.objects.filter(pk=contract.pk).values()),
        list(TermsVersion.objects.filter(contract=contract).values()),
        list(Component.objects.filter(version__contract=contract).values()),
        list(Statement.objects.filter(contract=contract).order_by("pk").values()),
        list(StatementLine.objects.filter(statement__contract=contract).order_by("pk").values()),
        list(StatementQuery.objects.filter(statement__contract=contract).order_by("pk").values()),
        list(QueryMessage.objects.filter(query__statement__contract=contract).order_by("pk").values()),
        list(KpiResult.objects.filter(contract=contract).order_by("pk").values_list("pk", "value")),
        list(BillingRun.objects.filter(contract_reference=contract.reference).values()),
        list(Membership.objects.filter(organisation=contract.buyer).values()),
        list(SelfBillingAgreement.objects.filter(contract=contract).values()),
        list(AuthToken.objects.filter(user__membership__organisation=contract.buyer).values()),
        list(WebhookEndpoint.objects.filter(buyer=contract.buyer).values()),
        list(WebhookMessage.objects.filter(endpoint__buyer=contract.buyer).order_by("pk").values()),
        list(WebhookDelivery.objects.filter(message__endpoint__buyer=contract.buyer).order_by("pk").values()),
    ]


def admin_patterns():
    """``(url name, pattern, model or None)`` for every named admin route."""
    found = []

    def walk(patterns, model):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, model)
            elif isinstance(pattern, URLPattern) and pattern.name:
                found.append((pattern.name, pattern, model))

    for model, model_admin in admin.site._registry.items():
        walk(model_admin.get_urls(), model)
    site_only = [p for p in admin.site.get_urls() if isinstance(p, URLPattern)]
    walk(site_only, None)
    return found


def assert_clean(response, what):
    """No B marker in the response, following redirects (the page a browser ends on)."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", "replace").lower()
    for marker in B_MARKERS:
        assert marker not in text, f"{what}: {marker!r} appears ({response.status_code})"


def contract_file(*, reference: str, buyer_code: str, buyer_name: str, supplier: str) -> SimpleUploadedFile:
    content = CONTRACT.format(
        reference=reference, supplier=supplier, buyer_code=buyer_code, buyer_name=buyer_name
    )
    return SimpleUploadedFile(f"{reference}.yaml", content.encode())


# The admin's own views that take no object: each is requested as it is, GET and POST.
SITE_VIEWS = {"index", "login", "logout", "password_change", "password_change_done", "jsi18n"}
# Per-model views Django generates for every ModelAdmin.
MODEL_VIEWS = ("changelist", "add", "history", "delete", "change")
# Other views of one object, requested like the change view with B's object.
OBJECT_VIEWS = {
    "auth_user_password_change",
    "otp_totp_totpdevice_config",
    "otp_totp_totpdevice_qrcode",
    # A statement's own actions and its DRAFT PDF preview.
    "billing_statement_approve",
    "billing_statement_issue",
    "billing_statement_void",
    "billing_statement_preview_pdf",
    # Answering and resolving a supplier's query.
    "billing_statementquery_answer",
    "billing_statementquery_resolve",
    # Adding a component to a terms version by its type.
    "contracts_termsversion_add_component",
}
# Custom views, each with its own hostile requests below.
CUSTOM_VIEWS = {
    "contracts_contract_import",
    # Importing index values: superusers only (tests/functional/admin/test_index_admin.py).
    "contracts_indexseries_import",
    "contracts_contract_export",
    "kpis_kpibatch_upload",
    "kpis_kpibatch_review",
    "kpis_month",
    "kpis_month_rows",
    "billing_billingrun_run",
    "billing_statement_month_close",
    # The month-close page's journal download (CSV or Excel).
    "billing_statement_journal",
    # A contract's "Simulate terms" page (test_the_simulation_page_is_a_404_for_another_buyers_contract).
    "billing_statement_simulate",
    # A contract's value page and the buyer's portfolio (tests/functional/admin/test_value_pages.py).
    "billing_statement_contract_value",
    "billing_statement_portfolio",
    "autocomplete",
    "app_list",
    "view_on_site",
    # One past version of an object, from its History page (read-only).
    "contracts_organisation_simple_history",
    "contracts_contract_simple_history",
    "contracts_termsversion_simple_history",
    "contracts_membership_simple_history",
    # The signed-in user's own email choices (tests/functional/admin/test_notification_preferences.py).
    "notifications_notificationpreference_mine",
}
# Every admin action of a buyer-scoped model, requested on B's rows.
ACTIONS = {
    Contract: {"export_files", "delete_selected"},
    Statement: {"approve", "issue", "void"},
    Organisation: {"delete_selected"},
    TermsVersion: {"delete_selected"},
    WebhookEndpoint: {"send_test_event", "delete_selected"},
    WebhookMessage: {"resend"},
    WebhookDelivery: {"resend"},
}


def test_every_route_and_action_has_a_case(buyers):
    names = {name for name, _, _ in admin_patterns()}
    model_names = {
        f"{model._meta.app_label}_{model._meta.model_name}_{view}"
        for model in admin.site._registry
        for view in MODEL_VIEWS
    }
    assert names - model_names - SITE_VIEWS - OBJECT_VIEWS == CUSTOM_VIEWS
    request = RequestFactory().get("/admin/")
    request.user = buyers["a"]["user"]
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_view_or_change_permission(request):
            continue  # its changelist, where actions run, is a 403 (tested below)
        actions = set(model_admin.get_actions(request))
        assert actions <= ACTIONS.get(model, set()), (model, actions)


@pytest.fixture
def a_client(buyers):
    client = Client()
    client.force_login(buyers["a"]["user"])
    return client


def test_no_route_shows_or_changes_another_buyers_rows(buyers, a_client):
    b = buyers["b"]
    before = b_fingerprint(b)
    objects = b_objects(b)
    for name, pattern, model in admin_patterns():
        if name in CUSTOM_VIEWS:
            continue
        keys = set(pattern.pattern.converters)
        if name == "logout":
            continue  # it would end the session the other requests use; it shows no rows
        if keys in ({"object_id"}, {"id"}, {"pk"}):
            target = objects.get(model)
            if target is None:
                continue  # a model with no buyer (the KPI catalogue, schedules): nothing of B's
            url = reverse(f"admin:{name}", args=[target.pk])
        else:
            assert not keys, name
            url = reverse(f"admin:{name}")
        for method in ("get", "post"):
            data = {"post": "yes", "title": "taken", "name": "taken"} if method == "post" else {}
            response = getattr(a_client, method)(url, data, follow=True)
            assert response.status_code in (200, 403, 404, 405), (name, method, response.status_code)
            assert_clean(response, f"{method.upper()} {url}")
        # Searches and filters that name B's rows find nothing (the search box echoes the term).
        if name.endswith("_changelist"):
            for query in (
                {"q": "Globex"},
                {"q": B_CONTRACT},
                {"contract__buyer__id__exact": b["contract"].buyer_id},
            ):
                response = a_client.get(url, query, follow=True)
                changelist = response.context and response.context.get("cl")
                if changelist is not None and model in objects:
                    assert objects[model].pk not in {row.pk for row in changelist.queryset}, (url, query)
    assert b_fingerprint(b) == before


def test_no_action_runs_on_another_buyers_rows(buyers, a_client):
    b = buyers["b"]
    before = b_fingerprint(b)
    objects = b_objects(b)
    for model, actions in ACTIONS.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        targets = [objects[model].pk] + ([b["draft"].pk] if model is Statement else [])
        for action in actions:
            data = {"action": action, ACTION_CHECKBOX_NAME: targets, "reason": "taken", "post": "yes"}
            response = a_client.post(url, data, follow=True)
            assert response.status_code in (200, 403, 404), (model, action)
            assert_clean(response, f"{model.__name__} action {action}")
    assert b_fingerprint(b) == before


def test_custom_views_refuse_another_buyers_objects(buyers, a_client):
    a, b = buyers["a"], buyers["b"]
    before = b_fingerprint(b)
    contract = b["contract"]
    batches = KpiBatch.objects.count()
    # The contract file: B's export, a file for B as buyer, and a file reusing B's reference.
    response = a_client.get(reverse("admin:contracts_contract_export", args=[contract.pk]), follow=True)
    assert response["Content-Type"].startswith("text/html")
    assert_clean(response, "export")
    hostile_files = [
        contract_file(
            reference="ACME-NEW", buyer_code="GLOBEX", buyer_name="Globex Mobile Ltd", supplier="Zeta"
        ),
        contract_file(
            reference=B_CONTRACT, buyer_code="ACME", buyer_name="Acme Telecom plc", supplier="Zeta"
        ),
        contract_file(
            reference="ACME-NEW", buyer_code="ACME", buyer_name="Acme Telecom plc", supplier="Beta CX Ltd"
        ),
    ]
    for upload in hostile_files:
        response = a_client.post(reverse("admin:contracts_contract_import"), {"file": upload})
        assert response.status_code == 200, upload.name
        assert (
            b"must be your organisation" in response.content
            or b"cannot be used" in response.content
            or (b"another buyer" in response.content)
        )
    assert not Contract.objects.filter(reference="ACME-NEW").exists()
    # A KPI file naming B's contract is refused whole, as naming an unknown contract.
    kpi_file = SimpleUploadedFile("k.csv", (HEADER + month(B_CONTRACT, "2026-03", 1, 80)).encode())
    response = a_client.post(reverse("admin:kpis_kpibatch_upload"), {"file": kpi_file, "dry_run": ""})
    assert response.status_code == 200 and KpiBatch.objects.count() == batches
    # The same file as B's batch (a duplicate) is refused the same way and names no batch.
    duplicate = SimpleUploadedFile("again.csv", (HEADER + month(B_CONTRACT, "2026-02", 1500, 78)).encode())
    response = a_client.post(
        reverse("admin:kpis_kpibatch_upload"), {"file": duplicate, "dry_run": ""}, follow=True
    )
    assert reverse("admin:kpis_kpibatch_change", args=[b["batch"].pk]).encode() not in response.content
    assert b"unknown contract" in response.content and KpiBatch.objects.count() == batches
    # B's batch held for review can be neither seen nor accepted nor rejected.
    KpiBatch.objects.filter(pk=b["batch"].pk).update(status="pending")
    review = reverse("admin:kpis_kpibatch_review", args=[b["batch"].pk])
    assert a_client.get(review).status_code == 404
    for decision in ({"decision": "accept"}, {"decision": "reject", "reason": "no"}):
        assert a_client.post(review, decision).status_code == 404
    assert KpiBatch.objects.get(pk=b["batch"].pk).status == "pending"
    KpiBatch.objects.filter(pk=b["batch"].pk).update(status="accepted")
    # The month view neither offers nor accepts B's contract.
    response = a_client.get(reverse("admin:kpis_month"), {"contract": contract.pk, "period": "2026-02"})
    assert response.status_code == 200 and "contract" in response.context["form"].errors
    assert_clean(response, "month view")
    rows = {"contract": contract.pk, "period": "2026-02", "kpi": "contacts_voice"}
    response = a_client.get(reverse("admin:kpis_month_rows"), rows)
    assert response.status_code == 200 and "contract" in response.context["form"].errors
    assert response.context["page"] is None
    assert_clean(response, "month rows view")
    # Run billing: B's reference is unknown; without one, only A's contracts are priced.
    response = a_client.post(
        reverse("admin:billing_billingrun_run"), {"period": "2026-02", "contract": B_CONTRACT}
    )
    assert response.status_code == 200 and b"no contract with reference" in response.content
    response = a_client.post(
        reverse("admin:billing_billingrun_run"), {"period": "2026-02", "contract": ""}, follow=True
    )
    assert_clean(response, "run billing")
    (run,) = BillingRun.objects.filter(requested_by=a["user"])
    assert run.buyer_id == a["contract"].buyer_id and run.total == 1
    assert set(Statement.objects.filter(billing_run=run).values_list("contract__reference", flat=True)) == {
        "ACME-001"
    }
    # The month-close page shows only A's contracts; its bulk actions never reach B's statements.
    url = reverse("admin:billing_statement_month_close")
    for period in ("2026-01", "2026-02"):
        assert_clean(a_client.get(url, {"period": period}), f"month close {period}")
        for data in (
            {"action": "approve"},
            {"action": "issue"},
            {"action": "issue", "confirm": "on", "statement": [b["draft"].pk, b["issued"].pk]},
        ):
            assert_clean(a_client.post(url, {"period": period, **data}, follow=True), f"month close {data}")
    # The journal download holds A's issued documents and nothing of B's, whatever is asked.
    journal = reverse("admin:billing_statement_journal")
    response = a_client.get(journal, {"period": "2026-01", "format": "csv"})
    assert response.status_code == 200 and a["issued"].number in b"".join(response.streaming_content).decode()
    for query in (
        {"period": "2026-01", "format": "csv"},
        {"period": "2026-01", "format": "xlsx"},
        {"period": "2026-01", "format": "pdf"},
        {"period": "2026-01", "format": "csv", "buyer": "GLOBEX", "contract": B_CONTRACT},
        {"period": "'; drop table billing_statement; --", "format": "csv"},
    ):
        assert_clean(a_client.get(journal, query, follow=True), f"journal {query}")
    # Autocomplete offers only A's organisations.
    for field, term in (("buyer", "Globex"), ("supplier", "Beta")):
        response = a_client.get(
            reverse("admin:autocomplete"),
            {"app_label": "contracts", "model_name": "contract", "field_name": field, "term": term},
        )
        assert response.status_code in (200, 403), field
        assert_clean(response, f"autocomplete {field}")
    # The app lists and "view on site" show nothing of B's.
    for app_label in ("contracts", "kpis", "billing", "knox", "auth"):
        assert_clean(a_client.get(reverse("admin:app_list", args=[app_label]), follow=True), app_label)
    content_type = ContentType.objects.get_for_model(Contract)
    response = a_client.get(reverse("admin:view_on_site", args=[content_type.pk, contract.pk]))
    assert response.status_code == 404
    # A past version of B's objects is a 404, read or posted to; A's own is read-only.
    version = contract.versions.get()
    for name, obj in (
        ("contracts_organisation_simple_history", contract.buyer),
        ("contracts_contract_simple_history", contract),
        ("contracts_termsversion_simple_history", version),
        ("contracts_membership_simple_history", b["user"].membership),
    ):
        url = reverse(f"admin:{name}", args=[obj.pk, obj.history.earliest().history_id])
        for method in ("get", "post"):
            response = getattr(a_client, method)(url, {"title": "taken", "name": "taken"}, follow=True)
            assert response.status_code in (403, 404), (name, method)
            assert_clean(response, f"{method.upper()} {url}")
    own = a["contract"]
    url = reverse("admin:contracts_contract_simple_history", args=[own.pk, own.history.earliest().history_id])
    assert a_client.get(url).status_code == 200
    assert a_client.post(url, {"title": "taken"}).status_code == 403
    assert Contract.objects.get(pk=own.pk).title != "taken"
    assert b_fingerprint(b) == before


def test_the_simulation_page_is_a_404_for_another_buyers_contract(buyers, a_client):
    b = buyers["b"]
    before = b_fingerprint(b)
    url = reverse("admin:billing_statement_simulate", args=[b["contract"].pk])
    own = contract_file(
        reference=B_CONTRACT, buyer_code="GLOBEX", buyer_name="Globex Mobile Ltd", supplier="Beta"
    )
    for response in (
        a_client.get(url),
        a_client.post(url, {"upload": own, "first": "2026-01"}),
        a_client.post(url, {"terms": own_file_text(b["contract"]), "first": "2026-01"}),
    ):
        assert response.status_code == 404
        assert_clean(response, "simulate")
    assert b_fingerprint(b) == before
    # A's own contract is simulated, and B's file is refused on A's page as another contract's.
    mine = reverse("admin:billing_statement_simulate", args=[buyers["a"]["contract"].pk])
    response = a_client.post(mine, {"terms": own_file_text(b["contract"]), "first": "2026-01"})
    assert response.status_code == 200 and b"is for contract" in response.content
    assert b_fingerprint(b) == before


def own_file_text(contract) -> str:
    from contracts.services import contract_export

    return contract_export(contract=contract)


def test_a_staff_user_without_a_procurement_membership_sees_no_rows(buyers):
    staff = User.objects.create_user("staff-of-nobody", is_staff=True)
    staff.groups.add(Group.objects.get(name="Procurement"))
    client = Client()
    client.force_login(staff)
    for model in (Organisation, Contract, TermsVersion, KpiBatch, KpiResult, BillingRun, Statement):
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.context["cl"].result_count == 0, url
    response = client.get(
        reverse("admin:contracts_contract_change", args=[buyers["a"]["contract"].pk]), follow=True
    )
    assert b"ACME-001" not in response.content


def test_only_superusers_see_or_manage_tokens_and_memberships(buyers, a_client):
    for name in ("knox_authtoken_changelist", "knox_authtoken_add", "contracts_membership_changelist"):
        assert a_client.get(reverse(f"admin:{name}")).status_code == 403, name
    assert not buyers["a"]["user"].get_all_permissions() & {
        "knox.view_authtoken",
        "knox.change_authtoken",
        "authtoken.view_token",
        "authtoken.change_token",
        "authtoken.view_tokenproxy",
    }
    root = Client()
    root.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    response = root.get(reverse("admin:knox_authtoken_changelist"))
    assert response.status_code == 200 and b"finance-globex" in response.content
    # The token itself is kept nowhere to be shown, not even to a superuser.
    change = root.get(reverse("admin:knox_authtoken_change", args=[buyers["b"]["token"].pk]))
    assert change.status_code == 200
    for page in (response, change):
        assert buyers["b"]["key"].encode() not in page.content
        assert buyers["b"]["key"][:15].encode() not in page.content
    # A superuser adding a token sees it once, in the message after saving; it works.
    finance = User.objects.get(username="finance-acme")
    added = root.post(reverse("admin:knox_authtoken_add"), {"user": finance.pk}, follow=True)
    messages = [str(m) for m in added.context["messages"]]
    (key,) = [m.removeprefix("TOKEN ") for m in messages if m.startswith("TOKEN ")]
    api = Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/invoices/")
    assert api.status_code == 200 and api.json()["count"] == 1
    listing = root.get(reverse("admin:knox_authtoken_changelist"))
    assert key.encode() not in listing.content and key[:15].encode() not in listing.content


def test_procurement_still_does_its_own_buyers_work(buyers, a_client):
    a = buyers["a"]
    contract = a["contract"]
    response = a_client.get(reverse("admin:contracts_contract_changelist"))
    assert b"ACME-001" in response.content and response.context["cl"].result_count == 1
    assert a_client.get(reverse("admin:contracts_contract_change", args=[contract.pk])).status_code == 200
    export = a_client.get(reverse("admin:contracts_contract_export", args=[contract.pk]))
    assert export["Content-Type"] == "application/yaml" and b"ACME-001" in export.content
    # A new supplier organisation, then a contract file with it, for its own buyer.
    response = a_client.post(
        reverse("admin:contracts_organisation_add"),
        {"name": "Gamma CX Ltd", "code": "GAMMA", "country": "GB"},
    )
    assert response.status_code == 302 and Organisation.objects.filter(code="GAMMA").exists()
    upload = contract_file(
        reference="ACME-002", buyer_code="ACME", buyer_name="Acme Telecom plc", supplier="Gamma CX Ltd"
    )
    response = a_client.post(reverse("admin:contracts_contract_import"), {"file": upload})
    assert response.status_code == 302, response.content
    assert Contract.objects.get(reference="ACME-002").buyer == contract.buyer
    # Its KPI file, its month view, its billing run and its statements' actions.
    kpi_file = SimpleUploadedFile("acme-03.csv", (HEADER + month("ACME-001", "2026-03", 1600, 81)).encode())
    response = a_client.post(reverse("admin:kpis_kpibatch_upload"), {"file": kpi_file, "dry_run": ""})
    assert response.status_code == 302 and KpiBatch.objects.filter(file_name="acme-03.csv").exists()
    response = a_client.get(reverse("admin:kpis_month"), {"contract": contract.pk, "period": "2026-03"})
    assert response.status_code == 200 and response.context["overview"].lines
    response = a_client.post(reverse("admin:billing_billingrun_run"), {"period": "2026-03", "contract": ""})
    assert response.status_code == 302
    draft = Statement.objects.get(contract=contract, period="2026-03")
    assert not Statement.objects.filter(contract=buyers["b"]["contract"], period="2026-03").exists()
    a_client.post(
        reverse("admin:billing_statement_changelist"), {"action": "approve", ACTION_CHECKBOX_NAME: [draft.pk]}
    )
    draft.refresh_from_db()
    assert draft.status == "approved"
    # A contract added by hand can only name its own buyer.
    form = a_client.get(reverse("admin:contracts_contract_add")).context["adminform"].form
    assert list(form.fields["buyer"].queryset) == [contract.buyer]
