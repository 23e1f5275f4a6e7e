"""Jobs page (AppTest): an admin sees every user's jobs, filters them, cancels one; others are refused."""
from conftest import texts

from data import audit
from data import jobs as job_rows


def _jobs() -> dict[str, int]:
    """A finished training of ana's, a failed tuning of admin's, a queued training of ana's (not woken:
    it stays queued), and a running batch of vic's with step progress."""
    ids = {"trained": job_rows.create("train", {}, "ana", title="k-NN on digits"),
           "tuned": job_rows.create("tune", {}, "admin", lane="tune", title="study svc"),
           "queued": job_rows.create("train", {}, "ana", title="forest on feedback"),
           "batch": job_rows.create("batch", {}, "vic", lane="batch", title="batch of 500 images")}
    job_rows.mark_running(ids["trained"])
    job_rows.finish(ids["trained"], "succeeded", "Model 7 trained.")
    job_rows.mark_running(ids["tuned"])
    job_rows.finish(ids["tuned"], "failed", "Out of trials.")
    job_rows.mark_running(ids["batch"])
    job_rows.update_progress(ids["batch"], "predicting", 0.25, "predicting", done=125, total=500, rate=50.0)
    return ids


def test_admin_sees_all_jobs_and_filters_them(open_app):
    at = open_app("admin", "jobs")
    ids = _jobs()
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["job"]) == sorted(ids.values(), reverse=True)  # newest first, every user's
    assert set(table["owner"]) == {"ana", "admin", "vic"}
    batch = table[table["job"] == ids["batch"]].iloc[0]
    assert batch["steps"] == "125/500 · 50.0/s" and batch["status"] == "running"
    assert "4 jobs match" in texts(at) and "2 queued or running" in texts(at)
    at.selectbox(key="jobs_owner").set_value("ana").run()
    assert set(at.dataframe[0].value["job"]) == {ids["trained"], ids["queued"]}
    at.selectbox(key="jobs_status").set_value("queued").run()
    assert list(at.dataframe[0].value["job"]) == [ids["queued"]]
    at.selectbox(key="jobs_kind").set_value("tune").run()
    assert any("No jobs match" in i.value for i in at.info)
    assert "0 jobs match" in texts(at)


def test_admin_cancels_someone_elses_job_and_it_is_audited(open_app):
    from ml.jobs import engine as jobs
    at = open_app("admin", "jobs")
    jobs.runner()  # as in the server: the runner is up (its start-up recovery done) before any job exists
    ids = _jobs()
    at.run()
    at.selectbox(key="jobs_cancel_pick").set_value(ids["queued"]).run()
    at.button(key="jobs_cancel").click().run()
    assert not at.exception and not at.error
    assert job_rows.get(ids["queued"]).cancel_requested
    assert not job_rows.get(ids["batch"]).cancel_requested
    rows = audit.page(username="admin", action="cancel_job")
    assert f"job {ids['queued']}" in set(rows["detail"])
    # a job asked to stop is no longer offered for cancelling, and the page says it is being cancelled
    assert ids["queued"] not in at.selectbox(key="jobs_cancel_pick").options
    assert any(f"Cancelling job #{ids['queued']}" in s.value for s in at.success)
    table = at.dataframe[0].value.set_index("job")
    assert table.loc[ids["queued"], "status"] == "cancelling" and table.loc[ids["batch"], "status"] == "running"


def test_cancelling_an_ended_job_says_so(seeded_store):
    import pytest

    from ml.errors import RequestError
    from ml.jobs import engine as jobs
    ids = _jobs()
    try:
        with pytest.raises(RequestError, match="already ended \\(succeeded\\)"):
            jobs.cancel(ids["trained"], by="admin")
    finally:
        jobs.reset_runner()


def test_jobs_export_holds_what_the_filters_show(seeded_store):
    from ml.reports import exports
    ids = _jobs()
    data = exports.export("jobs", job_rows.admin_query(owner="ana"), "csv", "admin").data.decode()
    lines = data.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("id,kind,title,status,owner")
    assert {int(line.split(",")[0]) for line in lines[1:]} == {ids["trained"], ids["queued"]}
    assert job_rows.admin_count(owner="ana") == 2 and job_rows.admin_count() == 4


def test_analyst_is_refused_the_jobs_page(open_app):
    at = open_app("ana", "jobs")
    assert not at.exception
    assert any("may not open Jobs" in e.value for e in at.error)
    assert not at.dataframe
