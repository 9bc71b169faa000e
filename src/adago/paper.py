"""What the paper reports (Tables 2-5), for side-by-side comparison. Nothing here is used to train.

Tables and figures name methods through :func:`method_label` and :func:`method_info` only; both
read the method registry (adago.optimizers.registry), which keeps the paper's M1-M3 numbering and
labels the baselines (M4-M5) and AdaGO's ablations (A1-A5).
"""

from __future__ import annotations

from adago.optimizers import METHODS

# Table 2 as printed (the paper prints 1,000,290 ML-1M ratings; the file has 1,000,209).
DATASETS = {
    "ml1m": {"label": "D1 MovieLens-1M", "users": 6040, "items": 3952, "ratings": 1000290},
    "douban": {"label": "D2 Douban", "users": 3000, "items": 3000, "ratings": 136891},
}

# Tables 4 and 5: (mean, std) of test error, epochs and seconds (Java SE 7, Intel i5 2.5 GHz).
TABLE4 = {
    ("ml1m", "adago"): {"rmse": (0.8549, 0.0015), "epoch": (476, 34), "time": (425, 23)},
    ("ml1m", "adam"): {"rmse": (0.8553, 0.0012), "epoch": (444, 3), "time": (939, 2)},
    ("ml1m", "sgd"): {"rmse": (0.8551, 0.0014), "epoch": (461, 3), "time": (45, 4)},
    ("douban", "adago"): {"rmse": (0.7420, 0.0067), "epoch": (435, 4), "time": (59, 5)},
    ("douban", "adam"): {"rmse": (0.7431, 0.0067), "epoch": (279, 61), "time": (84, 18)},
    ("douban", "sgd"): {"rmse": (0.7434, 0.0062), "epoch": (267, 66), "time": (4, 0)},
}
TABLE5 = {
    ("ml1m", "adago"): {"mae": (0.6730, 0.0006), "epoch": (458, 37), "time": (414, 43)},
    ("ml1m", "adam"): {"mae": (0.6737, 0.0007), "epoch": (400, 1), "time": (826, 15)},
    ("ml1m", "sgd"): {"mae": (0.6731, 0.0007), "epoch": (334, 2), "time": (33, 4)},
    ("douban", "adago"): {"mae": (0.5811, 0.0053), "epoch": (443, 8), "time": (63, 6)},
    ("douban", "adam"): {"mae": (0.5830, 0.0053), "epoch": (255, 62), "time": (75, 16)},
    ("douban", "sgd"): {"mae": (0.5830, 0.0054), "epoch": (218, 28), "time": (4, 1)},
}


def method_info(method: str) -> dict:
    """Display number, name and description of ``method`` (an unregistered name shows as itself)."""
    spec = METHODS.get(method)
    if spec is None:
        return {"no": "", "name": method, "description": method}
    return {"no": spec.number, "name": spec.name, "description": spec.description}


def method_label(method: str) -> str:
    """'M1 AdaGO' and the like: the label tables and figures show for ``method``."""
    info = method_info(method)
    return f"{info['no']} {info['name']}".strip()


# Figures 2-7 and the claims table read the paper's values through these: (mean, std) or None.
def reported(dataset: str, method: str, column: str) -> tuple[float, float] | None:
    """The paper's mean and std for a runs.csv column (rmse, rmse_epoch, rmse_seconds, mae, ...)."""
    metric, _, kind = column.partition("_")
    table = TABLE4 if metric == "rmse" else TABLE5
    cell = table.get((dataset, method))
    if cell is None:
        return None
    return cell[{"": metric, "epoch": "epoch", "seconds": "time"}[kind]]
