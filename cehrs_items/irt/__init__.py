"""Item response theory: models, estimation, information and ability scoring."""
