"""The Tuning page's pieces: the study set-up form, live progress, the trials table, charts, "train this".

Charts of small studies come from `optuna.visualization` on a study rebuilt from the DuckDB rows; a
large study gets its history chart drawn from the rows (sampled), since Optuna's plots slow down.
"""
from __future__ import annotations

import json
import math
import warnings

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import failures
from dashboard.charts import common as axes
from dashboard.text import blank_missing, md, share, when
from data import jobs as job_rows
from data import studies
from data.users import User
from ml.jobs import engine as jobs
from ml.jobs.requests import MAX_STUDY_NAME, MAX_TIMEOUT_S
from ml.models.families import FAMILIES
from ml.reports import exports
from ml.tuning import tune as tuning
from ml.tuning.importer import IMPORTED
from ml.tuning.requests import OBJECTIVES, PRUNERS, SAMPLERS, PromoteRequest, TuneRequest
from ml.tuning.space import default_space

OPTUNA_PLOTS_UP_TO = 500     # trials; above this only the sampled history chart is drawn
HISTORY_POINTS = 2_000       # at most this many trial dots on the history chart
SPACE_COLUMNS = ["name", "kind", "low", "high", "log", "choices"]


def _space_editor(family: str) -> list[dict]:
    rows = [{**d.to_dict(), "choices": ", ".join(map(str, d.choices))} for d in default_space(family)]
    edited = st.data_editor(pd.DataFrame(rows, columns=SPACE_COLUMNS), key=f"tune_space_{family}",
                            disabled=["name", "kind"], hide_index=True, width="stretch",
                            num_rows="dynamic", placeholder="")  # a choice has no low or high: blank, not "None"
    out = []
    for row in edited.to_dict("records"):
        if not row.get("name"):
            continue
        low, high = row.get("low"), row.get("high")
        out.append({"name": row["name"], "kind": row["kind"],
                    "low": None if low is None or (isinstance(low, float) and math.isnan(low)) else low,
                    "high": None if high is None or (isinstance(high, float) and math.isnan(high)) else high,
                    "log": bool(row.get("log")),
                    "choices": [c.strip() for c in str(row.get("choices") or "").split(",") if c.strip()]})
    return out


def setup_form(user: User) -> TuneRequest | None:
    """The set-up of a new study; returns the request when the person starts it (checked at submit)."""
    family = st.selectbox("Model family", list(FAMILIES), key="tune_family", format_func=lambda f: FAMILIES[f].label)
    st.caption("Search space, prefilled with each hyperparameter's whole range (the seed is fixed, not searched). "
               "Delete a row to keep that parameter at its default.")
    space = _space_editor(family)
    with st.form("tune_form"):
        a, b, c = st.columns(3)
        dataset = a.text_input("Dataset SPEC", "digits", key="tune_dataset",
                               help="digits · feedback · idx:IMAGES,LABELS · folder:PATH · zip:PATH")
        objective = b.selectbox("Objective", list(OBJECTIVES), key="tune_objective",
                                help="Scored on the validation share (or CV folds), never on the test split.")
        name = c.text_input("Study name", key="tune_name", placeholder="(a name is made up)",
                            max_chars=MAX_STUDY_NAME)
        sampler = a.selectbox("Sampler", SAMPLERS, key="tune_sampler",
                              help="tpe: Bayesian · random · cmaes: numbers only · grid: small spaces")
        pruner = b.selectbox("Pruner", PRUNERS, key="tune_pruner",
                             help="Stops bad trials early for forests, boosting and the MLP.")
        folds = c.number_input("CV folds (0: validation share)", 0, 10, 0, key="tune_folds")
        n_trials = a.number_input("Trials", 1, 10_000, 20, key="tune_trials")
        timeout = b.number_input("Time budget (s, 0: none)", 0, MAX_TIMEOUT_S, 0, key="tune_timeout")
        workers = c.number_input("Parallel workers", 1, 4, 1, key="tune_workers")
        if not st.form_submit_button("Start study", type="primary", icon=":material/play_arrow:"):
            return None
    return TuneRequest(family, dataset, user.username, space, objective, sampler, pruner, int(n_trials),
                       float(timeout), int(workers), cv_folds=int(folds), study=name.strip())


def import_form(user: User) -> None:
    """Copy (or refresh) studies from another Optuna storage, e.g. one optuna-dashboard shows today."""
    with st.form("tune_import_form"):
        url = st.text_input("Optuna storage", key="tune_import_url",
                            placeholder="sqlite:///path/optuna.db · postgresql://user:password@host/db · journal file")
        name = st.text_input("Study (empty: all of them)", key="tune_import_study")
        if not st.form_submit_button("Import", icon=":material/download:"):
            return
    from ml.tuning.importer import import_studies
    with failures.boundary("tune_import", user.username, stop=False):
        for result in import_studies(url, study=name.strip() or None, by=user.username):
            st.success(f"Imported {result['study']}: {result['message']}.")


@st.fragment(run_every=1.0)
def await_study(job_id: int) -> None:
    """Between "Start study" and the job starting its study: reruns the page (picking the new study)
    as soon as the study exists, so nobody has to reload to see it."""
    record, job = studies.of_job(job_id), job_rows.get(job_id)
    if record is not None or job is None or job.finished:
        st.session_state.pop("tune_pending_job", None)
        if record is not None:
            st.session_state["tune_study"] = record.id
        st.rerun(scope="app")
    st.info(f"Study job #{job_id} is queued: it shows here as soon as it starts.", icon=":material/hourglass:")


STATES = ["COMPLETE", "PRUNED", "FAIL", "RUNNING"]
PAGE_SIZE = 100              # trials table rows per page (paged in SQL)
PICKABLE_UP_TO = 1_000       # trials to train offered in a list; above, the number is typed
REFRESH_S = 2.0              # a running study's view redraws this often


def _label(row) -> str:
    """A study in the picker: its name and what it tunes (or when it was imported). Nothing that changes
    while it runs: the select box keeps the text it showed when picked (the header says how it goes)."""
    if row.family == IMPORTED:
        return f"{row.name} · imported {when(row.created_at, '%Y-%m-%d')}"
    return f"{row.name} · {row.family} on {row.dataset}"


def _chosen(table: pd.DataFrame) -> int:
    """The study to show: the one picked, else the one the address names (?study=ID), else the newest."""
    ids = [int(i) for i in table["id"]]
    wanted = st.query_params.get("study", "")
    if wanted != st.session_state.get("tune_study_address") and wanted.isdigit() and int(wanted) in ids:
        st.session_state["tune_study_address"] = wanted  # followed once: the picker may move on from it
        st.session_state["tune_study"] = int(wanted)
    picked = st.session_state.get("tune_study")
    return int(picked) if picked in ids else ids[0]


def study_view(user: User) -> None:
    """The chosen study, all of it from one read (`studies.snapshot`); redrawn every REFRESH_S while it
    runs, so the picker, header, charts, table and the trial offered for training move together."""
    tuning.reconcile()  # a study whose server stopped says so
    table = studies.listing(200)
    if table.empty:
        st.info("No studies yet: set one up above.")
        return
    running = bool((table.loc[table["id"] == _chosen(table), "status"] == "running").any())
    st.fragment(_study_view, run_every=REFRESH_S if running else None)(user, running)


def _study_view(user: User, refreshing: bool) -> None:
    table = studies.listing(200)
    labels = {int(r.id): _label(r) for r in table.itertuples()}
    ids = list(labels)
    chosen = _chosen(table)
    if st.session_state.get("tune_study") not in labels:
        st.session_state["tune_study"] = chosen  # the address's study, the newest, or one just started
    study_id = int(st.selectbox("Study", ids, format_func=labels.get, key="tune_study"))
    snap = studies.snapshot(study_id, _trial_filter(study_id), whole_up_to=OPTUNA_PLOTS_UP_TO)
    if snap is None:
        st.rerun(scope="app")
    if (snap.record.status == "running") != refreshing:
        st.rerun(scope="app")  # started or ended: the whole page (and its jobs) follows, refreshing or not
    live(user, snap)
    st.subheader("Optimisation history")
    if not (snap.history["state"] == "COMPLETE").any():
        st.info("The history appears when a trial is complete.")
    else:
        st.plotly_chart(history_chart(snap.history, snap.record), width="stretch", key="tune_history")
    st.subheader("Trials")
    trials_table(snap)
    charts(snap)
    st.subheader("Train a trial")
    promote_form(user, snap)
    side_by_side(snap.record)


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def live(user: User, snap: studies.StudySnapshot) -> None:
    """Trials done of planned, the best value and its parameters, elapsed and ETA; stop or resume."""
    record, facts, best = snap.record, snap.summary, snap.best
    study_id = record.id
    left = max(0, record.planned - facts["done"])
    eta = facts["mean_s"] * left if record.status == "running" and facts["mean_s"] else None
    a, b, c, d = st.columns(4)
    a.metric("Trials done / planned", f"{facts['done']:,} / {record.planned:,}", f"{facts['pruned']:,} pruned",
             delta_color="off")
    b.metric(f"Best {record.objective}", objective_value(record.objective, best[1]) if best else "–",
             f"trial {best[0]}" if best else None, delta_color="off")
    c.metric("Elapsed (this run)", _fmt(facts["elapsed_s"]))
    d.metric("ETA", _fmt(eta) if record.status == "running" else record.status)
    if best:
        st.caption("Best parameters: " + ", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}"
                                                   for k, v in best[2].items()))
    if record.planned:
        st.progress(min(1.0, facts["done"] / record.planned))
    if record.message:
        st.caption(md(record.message))
    if record.status == "running":
        if st.button("Stop study", icon=":material/stop:", key="tune_stop") and record.job_id:
            with failures.boundary("tune_stop", user.username, stop=False):
                jobs.cancel(int(record.job_id), by=user.username)
                st.toast("Stopping after the running trial's next step.")
    elif not record.settings.get("imported_from"):
        more, go_on = st.columns([1, 3])
        n = more.number_input("More trials", 1, 10_000, 10, key=f"tune_more_{study_id}")
        if go_on.button("Resume study", icon=":material/play_arrow:", key="tune_resume"):
            with failures.boundary("job_tune", user.username, stop=False):
                job_id = jobs.submit(TuneRequest(record.family, record.dataset, user.username, n_trials=int(n),
                                                 study=record.name))
                st.toast(f"Study {md(record.name)} resumed (job #{job_id}).")
                st.session_state["tune_pending_job"] = job_id  # the page follows it once the job starts it
                st.rerun(scope="app")


SHARE_OBJECTIVES = tuning.SHARE_OBJECTIVES


def objective_value(objective: str, value: float | None) -> str:
    """A trial's objective value as the rest of the app writes that quantity."""
    if value is None or value != value:
        return ""
    return share(value) if objective in SHARE_OBJECTIVES else f"{value:.4f}"


def _numeric_dims(record: studies.StudyRecord) -> dict[str, tuple[float, float]]:
    return {d["name"]: (float(d["low"]), float(d["high"])) for d in record.space
            if d.get("kind") in ("int", "float") and d.get("low") is not None and d.get("high") is not None}


def _trial_filter(study_id: int) -> studies.TrialFilter:
    """The table's filter from its widgets' last values (read before the snapshot, drawn after it)."""
    state = st.session_state
    param = state.get(f"tune_filter_param_{study_id}", "(none)")
    span = state.get(f"tune_filter_range_{study_id}_{param}")  # none yet: the whole range, no filter
    if span is None:
        param, span = "(none)", (0.0, 0.0)
    low, high = span
    return studies.TrialFilter(states=tuple(state.get(f"tune_states_{study_id}", STATES)),
                               param=None if param == "(none)" else param, low=float(low), high=float(high),
                               order=state.get(f"tune_order_{study_id}", "number"),
                               page=int(state.get(f"tune_page_{study_id}", 1)), page_size=PAGE_SIZE)


def _first_page(study_id: int) -> None:
    st.session_state[f"tune_page_{study_id}"] = 1


def trials_table(snap: studies.StudySnapshot) -> None:
    """One page of the trials (filtered and ordered in SQL), with the step a pruned trial stopped at, and
    every trial as CSV."""
    record = snap.record
    if snap.history.empty:
        st.info("No trials yet.")
        return
    study_id = record.id
    first_page = {"on_change": _first_page, "args": (study_id,)}  # a new filter or order starts at its page 1
    a, b, c = st.columns([3, 2, 2])
    a.multiselect("States", STATES, default=STATES, key=f"tune_states_{study_id}", **first_page)
    dims = _numeric_dims(record)
    column = b.selectbox("Filter by parameter", ["(none)", *dims], key=f"tune_filter_param_{study_id}",
                         **first_page)
    c.selectbox("Order", list(studies.TRIAL_ORDERS), key=f"tune_order_{study_id}", **first_page)
    if column != "(none)":
        low, high = dims[column]
        if low < high:
            st.slider(f"{column} between", low, high, (low, high), key=f"tune_filter_range_{study_id}_{column}",
                      **first_page)
    pages = max(1, -(-snap.matching // PAGE_SIZE))
    shown = snap.page
    params = pd.json_normalize([json.loads(p) for p in shown["params"]]).set_index(shown.index)
    shown = pd.concat([shown.drop(columns=["params"]), params.add_prefix("param: ")], axis=1)
    shown = shown.rename(columns={"last_step": "pruned at step / last step"})
    # pruned, failed and running trials have no value, finish or duration yet: blank cells, not "None"
    shown = blank_missing(shown, {"value": lambda v: objective_value(record.objective, float(v)),
                                  "started_at": when, "finished_at": when})
    st.dataframe(shown, hide_index=True, width="stretch")
    first = (_trial_filter(study_id).page - 1) * PAGE_SIZE
    left, right = st.columns([1, 3])
    if pages > 1:
        left.number_input(f"Page (of {pages:,})", 1, pages, key=f"tune_page_{study_id}")
    right.caption(f"Trials {min(first + 1, snap.matching):,}–{min(first + len(snap.page), snap.matching):,} "
                  f"of {snap.matching:,} shown by the filter; the study has {len(snap.history):,}.")
    right.download_button("Trials as CSV", lambda: exports.safe_frame(studies.trials_frame(study_id)).to_csv(index=False),
                          f"{record.name}-trials.csv", "text/csv", key="tune_csv")


def history_chart(history: pd.DataFrame, record: studies.StudyRecord) -> go.Figure:
    """Objective value per trial and the best so far (sampled above HISTORY_POINTS dots)."""
    done = history[history["state"] == "COMPLETE"].sort_values("number")
    best = done["value"].cummax() if record.direction == "maximize" else done["value"].cummin()
    dots = done.sample(HISTORY_POINTS, random_state=0).sort_values("number") if len(done) > HISTORY_POINTS else done
    fig = go.Figure([go.Scattergl(x=dots["number"], y=dots["value"], mode="markers", name="trial"),
                     go.Scatter(x=done["number"], y=best, mode="lines", name="best so far", line_shape="hv")])
    fig.update_layout(xaxis_title="trial", yaxis_title=record.objective, height=360, margin=dict(t=30, b=30))
    if record.objective in SHARE_OBJECTIVES:  # a share: 0-100 % like every share axis
        axes.share_axis(fig)
    return fig


def charts(snap: studies.StudySnapshot) -> None:
    """Optuna's own plots of a finished study (they rebuild the whole study, so not every refresh)."""
    complete = int((snap.history["state"] == "COMPLETE").sum())
    if complete == 0:
        return
    st.subheader("More charts")
    names = ["Importances", "Parallel coordinates", "Slice", "Contour", "Intermediate values", "Distribution"]
    if snap.trials is None:
        st.info(f"Importances, parallel coordinates, slice, contour, intermediate values and distribution are "
                f"drawn for studies of up to {OPTUNA_PLOTS_UP_TO} trials.")
        return
    if snap.record.status == "running":
        st.info("Importances, parallel coordinates and the other charts are drawn when the study stops.")
        return
    import optuna.visualization as vis
    tabs = st.tabs(names)
    study = tuning.load_study(snap.record, rows=snap.trials)
    stepped = any(t.intermediate for t in snap.trials)
    plots = [(vis.plot_param_importances, 2), (vis.plot_parallel_coordinate, 1), (vis.plot_slice, 1),
             (vis.plot_contour, 2), (vis.plot_intermediate_values, 1), (vis.plot_edf, 1)]
    for tab, (plot, needed) in zip(tabs, plots):
        if complete < needed:
            tab.info(f"Needs {needed} complete trials.")
            continue
        if plot is vis.plot_intermediate_values and not stepped:
            # Optuna logs a warning and draws an empty chart when no trial reported a step
            tab.info("No trial reported intermediate values: only forests, boosting and the MLP train in steps.")
            continue
        try:
            with warnings.catch_warnings(record=True) as said:
                warnings.simplefilter("always")
                figure = plot(study)
        except (ValueError, RuntimeError) as exc:  # e.g. importances of a one-parameter space with equal values
            tab.info(f"Not drawn for this study: {exc}")
            continue
        tab.plotly_chart(figure, width="stretch", key=f"tune_{plot.__name__}")
        for w in said:
            if "importances will be equal" in str(w.message):
                # PED-ANOVA's warning on few trials: told to the person reading the chart, not the server log
                tab.caption("Too few complete trials tell the parameters apart yet: their importances are equal.")
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def side_by_side(record: studies.StudyRecord) -> None:
    """This study next to others: their best-so-far curves on one chart and their best trials in a table."""
    table = studies.listing(200)
    others = {int(r.id): r.name for r in table.itertuples() if int(r.id) != record.id}
    if not others:
        return
    chosen = st.multiselect("Compare with", list(others), format_func=others.get, key="tune_compare")
    if not chosen:
        return
    fig = go.Figure()
    objectives = set()
    for study_id in [record.id, *chosen]:
        other = studies.get(study_id)
        objectives.add(other.objective)
        frame = studies.trials_frame(study_id)
        done = frame[frame["state"] == "COMPLETE"].sort_values("number")
        best = done["value"].cummax() if other.direction == "maximize" else done["value"].cummin()
        fig.add_trace(go.Scatter(x=done["number"], y=best, mode="lines", line_shape="hv",
                                 name=f"{other.name} ({other.objective})"))
    fig.update_layout(xaxis_title="trial", yaxis_title="best so far", height=360, margin=dict(t=30, b=30))
    if objectives <= SHARE_OBJECTIVES:
        axes.share_axis(fig)
    st.plotly_chart(fig, width="stretch", key="tune_compare_chart")
    shown = table[table["id"].isin([record.id, *chosen])][["name", "family", "dataset", "objective", "status",
                                                            "complete", "pruned", "best"]]
    shown = shown.assign(best=[objective_value(o, b) if pd.notna(b) else "" for o, b in zip(shown["objective"],
                                                                                              shown["best"])])
    st.dataframe(blank_missing(shown), hide_index=True, width="stretch")


def _picked(key: str) -> None:
    st.session_state[key + "_picked"] = True


def promote_form(user: User, snap: studies.StudySnapshot) -> None:
    """Any complete or pruned trial (the best until another is picked) -> a model trained on the full
    training data. The button names the trial it trains; the server checks that trial at submit."""
    record, best = snap.record, snap.best
    if best is None:
        st.info("A trial can be trained once one is complete.")
        return
    done = snap.history[snap.history["state"].isin(["COMPLETE", "PRUNED"])]
    numbers = [int(n) for n in done["number"]]
    states = dict(zip(numbers, done["state"]))
    key = f"tune_promote_trial_{record.id}"
    if not st.session_state.get(key + "_picked") or st.session_state.get(key) not in states:
        st.session_state[key] = best[0]  # follows the best while it moves, until a person picks one
    label = "Trial to train"
    if len(numbers) <= PICKABLE_UP_TO:
        trial = st.selectbox(label, numbers, key=key, on_change=_picked, args=(key,),
                             format_func=lambda n: f"trial {n}{' (best)' if n == best[0] else ''}"
                                               f"{' (pruned)' if states[n] == 'PRUNED' else ''}")
    else:
        trial = st.number_input(f"{label} (number; the best is trial {best[0]})", 0, int(numbers[-1]), key=key,
                                on_change=_picked, args=(key,))
    activate = st.checkbox("Make it the active model", key=f"tune_promote_activate_{record.id}")
    if st.button(f"Train trial {int(trial)}", icon=":material/model_training:", key="tune_promote"):
        with failures.boundary("job_promote", user.username, stop=False):
            job_id = jobs.submit(PromoteRequest(record.id, user.username, int(trial), activate))
            st.session_state[f"tune_promoted_{record.id}"] = (int(trial), job_id)
    if promoted := st.session_state.get(f"tune_promoted_{record.id}"):
        st.success(f"Training trial {promoted[0]} of {md(record.name)} as job #{promoted[1]}: follow it under "
                   "Tuning jobs below; the model appears on Models when done.", icon=":material/check:")
    linked = studies.models_of(record.id)
    if not linked.empty:
        st.caption("Models trained from this study: " + ", ".join(
            f"#{r.model_id} (trial {r.trial_number})" for r in linked.itertuples()))
