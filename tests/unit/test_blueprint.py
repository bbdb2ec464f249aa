import copy

import pytest

from cehrs_items.blueprint import blueprint_from_data, load_blueprint
from cehrs_items.errors import BlueprintError


def test_shipped_blueprint_matches_cehrs_test_plan(bank_dir):
    bp = load_blueprint(bank_dir / "blueprint.yaml")
    assert bp.scored_items == 100 and bp.pretest_items == 25 and bp.time_minutes == 125
    assert [d.scored_items for d in bp.domains] == [28, 32, 15, 15, 10]
    assert (bp.scale.passing, bp.scale.max) == (390, 500)
    assert len(bp.sha256) == 64
    assert bp.subdomain_codes["2.3"] == 2


@pytest.fixture
def data(bank_dir):
    return copy.deepcopy(load_blueprint(bank_dir / "blueprint.yaml").raw)


def test_domain_counts_must_add_up(data):
    data["domains"][0]["scored_items"] = 27
    with pytest.raises(BlueprintError, match="add up to 99, but form.scored_items is 100"):
        blueprint_from_data(data, path="bp.yaml")


def test_passing_score_inside_scale(data):
    data["scale"]["passing"] = 600
    with pytest.raises(BlueprintError, match="scale.passing 600"):
        blueprint_from_data(data, path="bp.yaml")


def test_schema_error_names_field(data):
    del data["scale"]["raw_cut"]
    with pytest.raises(
        BlueprintError, match="bp.yaml: field scale: 'raw_cut' is a required property"
    ):
        blueprint_from_data(data, path="bp.yaml")


def test_subdomain_code_must_belong_to_domain(data):
    data["domains"][0]["subdomains"][0]["code"] = "2.9"
    with pytest.raises(BlueprintError, match="subdomain 2.9 is listed under domain 1"):
        blueprint_from_data(data, path="bp.yaml")
