"""The Tuning page's pieces: the study set-up form, live progress, the trials table, charts, "train this".

Charts of small studies come from `optuna.visualization` on a study rebuilt from the DuckDB rows; a
large study gets its history chart drawn from the rows (sampled), since Optuna's plots slow down.
"""
from __future__ import annotations

import json
import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import charts as axes
from dashboard import failures
from dashboard.text import blank_missing, share, when
from data import jobs as job_rows
from data import studies
from data.users import User
from ml import exports, jobs, tuning
from ml.families import FAMILIES
from ml.job_requests import MAX_STUDY_NAME, MAX_TIMEOUT_S, OBJECTIVES, PRUNERS, SAMPLERS, PromoteRequest, TuneRequest
from ml.tuning_space import default_space

OPTUNA_PLOTS_UP_TO = 500     # trials; above this only the sampled history chart is drawn
HISTORY_POINTS = 2_000       # at most this many trial dots on the history chart
SPACE_COLUMNS = ["name", "kind", "low", "high", "log", "choices"]


def _space_editor(family: str) -> list[dict]:
    rows = [{**d.to_dict(), "choices": ", ".join(map(str, d.choices))} for d in default_space(family)]
    edited = st.data_editor(pd.DataFrame(rows, columns=SPACE_COLUMNS), key=f"tune_space_{family}",
                            disabled=["name", "kind"], hide_index=True, width="stretch",
                            num_rows="dynamic")
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
    from ml.tuning_import import import_studies
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


def pick_study() -> studies.StudyRecord | None:
    tuning.reconcile()  # a study whose server stopped says so
    table = studies.listing(200)
    if table.empty:
        st.info("No studies yet: set one up above.")
        return None
    labels = {int(r.id): f"{r.name} · {r.family} on {r.dataset} · {r.status} · {int(r.complete)} complete"
              for r in table.itertuples()}
    ids = list(labels)
    wanted = st.query_params.get("study", "")  # a model's page links here with ?study=ID
    start = ids.index(int(wanted)) if wanted.isdigit() and int(wanted) in labels else 0
    chosen = st.selectbox("Study", ids, index=start, format_func=labels.get, key="tune_study")
    return studies.get(int(chosen))


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


@st.fragment(run_every=1.0)
def live(user: User, study_id: int) -> None:
    """Trials done of planned, the best value and its parameters, elapsed and ETA; stop or resume."""
    record = studies.get(study_id)
    facts, best = studies.summary(study_id), studies.best(study_id, record.direction)
    left = max(0, record.planned - facts["done"])
    eta = facts["mean_s"] * left if record.status == "running" and facts["mean_s"] else None
    a, b, c, d = st.columns(4)
    a.metric("Trials done / planned", f"{facts['done']} / {record.planned}", f"{facts['pruned']} pruned",
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
        st.caption(record.message)
    if record.status == "running":
        if st.button("Stop study", icon=":material/stop:", key="tune_stop") and record.job_id:
            with failures.boundary("tune_stop", user.username, stop=False):
                jobs.cancel(int(record.job_id), by=user.username)
                st.toast("Stopping after the running trial's next step.")
    else:
        more, go_on = st.columns([1, 3])
        n = more.number_input("More trials", 1, 10_000, 10, key=f"tune_more_{study_id}")
        if go_on.button("Resume study", icon=":material/play_arrow:", key="tune_resume"):
            with failures.boundary("job_tune", user.username, stop=False):
                job_id = jobs.submit(TuneRequest(record.family, record.dataset, user.username, n_trials=int(n),
                                                 study=record.name))
                st.toast(f"Study {record.name} resumed (job #{job_id}).")


SHARE_OBJECTIVES = {"accuracy", "macro_f1"}  # shares, shown as 98.61% like every other share; log loss as a number


def objective_value(objective: str, value: float | None) -> str:
    """A trial's objective value as the rest of the app writes that quantity."""
    if value is None or value != value:
        return ""
    return share(value) if objective in SHARE_OBJECTIVES else f"{value:.4f}"


def trials_table(record: studies.StudyRecord) -> pd.DataFrame:
    """The trials (filter by state), with the step a pruned trial stopped at, and a CSV download."""
    frame = studies.trials_frame(record.id)
    if frame.empty:
        st.info("No trials yet.")
        return frame
    states = st.multiselect("States", ["COMPLETE", "PRUNED", "FAIL", "RUNNING"],
                            default=["COMPLETE", "PRUNED", "FAIL", "RUNNING"], key="tune_states")
    shown = frame[frame["state"].isin(states)].drop(columns=["intermediate"])
    params = pd.json_normalize([json.loads(p) for p in shown["params"]]).set_index(shown.index)
    shown = pd.concat([shown.drop(columns=["params"]), params.add_prefix("param: ")], axis=1)
    numeric = [c for c in params.columns if pd.api.types.is_numeric_dtype(params[c]) and params[c].nunique() > 1]
    if numeric:
        column = st.selectbox("Filter by parameter", ["(none)", *numeric], key="tune_filter_param")
        if column != "(none)":
            low, high = float(params[column].min()), float(params[column].max())
            lo, hi = st.slider(f"{column} between", low, high, (low, high), key="tune_filter_range")
            shown = shown[params[column].between(lo, hi)]
    shown = shown.rename(columns={"last_step": "pruned at step / last step"})
    # pruned, failed and running trials have no value, finish or duration yet: blank cells, not "None"
    shown = blank_missing(shown, {"value": lambda v: objective_value(record.objective, float(v)),
                                  "started_at": when, "finished_at": when})
    st.dataframe(shown, hide_index=True, width="stretch")
    st.download_button("Trials as CSV", exports.safe_frame(frame).to_csv(index=False), f"{record.name}-trials.csv", "text/csv",
                       key="tune_csv")
    return frame


def history_chart(frame: pd.DataFrame, record: studies.StudyRecord) -> go.Figure:
    """Objective value per trial and the best so far, drawn from the rows (sampled above HISTORY_POINTS)."""
    done = frame[frame["state"] == "COMPLETE"].sort_values("number")
    best = done["value"].cummax() if record.direction == "maximize" else done["value"].cummin()
    dots = done.sample(HISTORY_POINTS, random_state=0).sort_values("number") if len(done) > HISTORY_POINTS else done
    fig = go.Figure([go.Scattergl(x=dots["number"], y=dots["value"], mode="markers", name="trial"),
                     go.Scatter(x=done["number"], y=best, mode="lines", name="best so far", line_shape="hv")])
    fig.update_layout(xaxis_title="trial", yaxis_title=record.objective, height=360, margin=dict(t=30, b=30))
    if record.objective in SHARE_OBJECTIVES:  # a share: 0-100 % like every share axis
        axes.share_axis(fig)
    return fig


def charts(frame: pd.DataFrame, record: studies.StudyRecord) -> None:
    complete = int((frame["state"] == "COMPLETE").sum()) if not frame.empty else 0
    if complete == 0:
        st.info("Charts appear when a trial is complete.")
        return
    tabs = st.tabs(["History", "Importances", "Parallel coordinates", "Slice", "Contour", "Intermediate values",
                    "Distribution"])
    tabs[0].plotly_chart(history_chart(frame, record), width="stretch", key="tune_history")
    if len(frame) > OPTUNA_PLOTS_UP_TO:
        for tab in tabs[1:]:
            tab.info(f"Drawn for studies of up to {OPTUNA_PLOTS_UP_TO} trials.")
        return
    import optuna.visualization as vis
    study = tuning.load_study(record)
    plots = [(vis.plot_param_importances, 2), (vis.plot_parallel_coordinate, 1), (vis.plot_slice, 1),
             (vis.plot_contour, 2), (vis.plot_intermediate_values, 1), (vis.plot_edf, 1)]
    for tab, (plot, needed) in zip(tabs[1:], plots):
        if complete < needed:
            tab.info(f"Needs {needed} complete trials.")
            continue
        try:
            tab.plotly_chart(plot(study), width="stretch", key=f"tune_{plot.__name__}")
        except (ValueError, RuntimeError) as exc:  # e.g. importances of a one-parameter space with equal values
            tab.info(f"Not drawn for this study: {exc}")


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


def promote_form(user: User, record: studies.StudyRecord, frame: pd.DataFrame) -> None:
    """Any complete or pruned trial (the best by default) -> a model trained on the full training data."""
    best = studies.best(record.id, record.direction)
    if frame.empty or best is None:
        return
    done = frame[frame["state"].isin(["COMPLETE", "PRUNED"])]
    numbers = [int(n) for n in done["number"]]
    states = dict(zip(numbers, done["state"]))
    trial = st.selectbox("Trial to train", numbers, index=numbers.index(best[0]), key="tune_promote_trial",
                         format_func=lambda n: f"trial {n}{' (best)' if n == best[0] else ''}"
                                           f"{' (pruned)' if states[n] == 'PRUNED' else ''}")
    activate = st.checkbox("Make it the active model", key="tune_promote_activate")
    if st.button("Train this", icon=":material/model_training:", key="tune_promote"):
        with failures.boundary("job_promote", user.username, stop=False):
            job_id = jobs.submit(PromoteRequest(record.id, user.username, int(trial), activate))
            st.toast(f"Training trial {trial} (job #{job_id}); it appears on Models when done.")
    linked = studies.models_of(record.id)
    if not linked.empty:
        st.caption("Models trained from this study: " + ", ".join(
            f"#{r.model_id} (trial {r.trial_number})" for r in linked.itertuples()))
