#!/usr/bin/env python3
"""scikit-learn's GridSearchCV(MLPRegressor) on the tune benchmark's search, printing one JSON line.

The search of `pnpm bench:tune` (issue 14): hidden layers (16,) or (39, 39), learning rate 0.1 or 0.5, logistic
hidden units, plain SGD (no momentum), batch 32, 20 epochs, 3-fold cross-validation, the best refit on all rows.
The data (x.f32, y.f32: raw little-endian float32, `rows x features` and `rows`) comes from the Node side, so
both search the same rows and folds of the same size. MLPRegressor has an identity output where shardprop's
network has a sigmoid one; the scores are mean squared errors on the validation folds either way.

    /usr/bin/python3 apps/bench/sklearn_tune_bench.py --data DIR --rows 10000 --features 39 --jobs 2

Only GridSearchCV.fit is timed (not the interpreter's start or the imports).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.neural_network import MLPRegressor


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="folder with x.f32 and y.f32")
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--features", type=int, required=True)
    parser.add_argument("--jobs", type=int, default=2, help="GridSearchCV n_jobs")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--folds", type=int, default=3)
    args = parser.parse_args()

    x = np.fromfile(f"{args.data}/x.f32", dtype="<f4").reshape(args.rows, args.features).astype(np.float64)
    y = np.fromfile(f"{args.data}/y.f32", dtype="<f4").astype(np.float64)
    model = MLPRegressor(
        activation="logistic",
        solver="sgd",
        batch_size=32,
        momentum=0.0,
        nesterovs_momentum=False,
        learning_rate="constant",
        max_iter=args.epochs,
        # Train every epoch: no stopping on a plateau.
        tol=0.0,
        n_iter_no_change=args.epochs + 1,
        shuffle=True,
        random_state=1,
    )
    grid = {"hidden_layer_sizes": [(16,), (39, 39)], "learning_rate_init": [0.1, 0.5]}
    search = GridSearchCV(
        model,
        grid,
        cv=KFold(n_splits=args.folds, shuffle=True, random_state=1),
        scoring="neg_mean_squared_error",
        n_jobs=args.jobs,
        refit=True,
    )
    with warnings.catch_warnings():
        # max_iter is reached on purpose; n_jobs workers inherit the filter through the environment below.
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        started = time.perf_counter()
        search.fit(x, y)
        ms = (time.perf_counter() - started) * 1000
    print(
        json.dumps(
            {
                "ms": ms,
                "bestParams": {k: list(v) if isinstance(v, tuple) else v for k, v in search.best_params_.items()},
                "bestMse": -float(search.best_score_),
                "meanMse": [-float(s) for s in search.cv_results_["mean_test_score"]],
                "sklearn": sklearn.__version__,
                "python": sys.version.split()[0],
                "jobs": args.jobs,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
