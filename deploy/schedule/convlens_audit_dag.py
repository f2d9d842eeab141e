"""Nightly ConvLens audit as an Apache Airflow DAG: analyze >> model_viz >> audit >> report.

Each task is one spark-submit of the ConvLens application jar (SparkSubmitOperator from the
apache-airflow-providers-apache-spark package). The output folder is dated with Airflow's
templating: <AUDIT_ROOT>/{{ ds }} is the run's logical date, so a backfill or a cleared run
writes to that night's folder. analyze runs with output.mode=resume, so a retry skips images an
earlier completed run of that night already analysed and never writes an image twice (a failed
attempt itself keeps no rows).

What to change (all in the block below): the Spark connection, where the jar and the log4j2 file
are on the Airflow worker, the datasets, the model, the output root and the sizes
(docs/sizing.md). The Spark connection (Admin > Connections, type Spark) names the master: host
"yarn", "spark://host:7077" or "k8s://https://host:6443"; its deploy mode comes from
DEPLOY_MODE below. The Airflow worker needs spark-submit of a Spark 4.1.x / Scala 2.13
installation (the connection's spark_binary / spark home, or PATH).

Written against the provider's operator signature (application, conf, files, archives,
java_class, application_args, name, num_executors, executor_cores, executor_memory,
driver_memory, deploy_mode; templated: application_args, conf, files, name). Compiled with
py_compile only; Airflow was not installed where this was written.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum

try:  # Airflow 3
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

# ---- change these ------------------------------------------------------------------------------
SPARK_CONN_ID = "convlens_spark"
# YARN cluster mode: the driver runs in YARN. Known issue there until ConvLensCli stops calling
# System.exit(0) on success: YARN marks the run FAILED although it finished (deploy/README.md).
DEPLOY_MODE = "cluster"
CONVLENS_HOME = "/opt/convlens"
APP_JAR = f"{CONVLENS_HOME}/jobs/target/convlens-jobs-0.1.0-SNAPSHOT-app.jar"
LOG4J_FILE = f"{CONVLENS_HOME}/conf/log4j2.properties"
DATASETS = ["hdfs:///datasets/imagenet/val"]
# The model archive (resnet18.pt + resnet18.json) is unpacked as ./model in every container.
MODEL_ARCHIVE = "hdfs:///models/resnet18.tgz#model"
MODEL = "model/resnet18.pt"
AUDIT_ROOT = "hdfs:///audits/resnet18"
OUT = AUDIT_ROOT + "/{{ ds }}"
EXECUTOR_CORES = 4
NUM_EXECUTORS = 4
TASK_CPUS = 1  # = ConvLens model.threads
# ------------------------------------------------------------------------------------------------

MAIN_CLASS = "org.convlens.jobs.ConvLensCli"
# The same executor settings as deploy/common.sh (why each one: deploy/README.md).
ENGINE_OPTS = (
    "-Dai.djl.offline=true -DDJL_CACHE_DIR=/tmp/convlens-djl "
    # --files puts log4j2.properties into each YARN container's working directory.
    "-Dlog4j2.configurationFile=log4j2.properties"
)
SPARK_CONF = {
    "spark.executor.memoryOverhead": "4g",
    "spark.driver.memoryOverhead": "2g",
    "spark.task.cpus": str(TASK_CPUS),
    "spark.executor.extraJavaOptions": ENGINE_OPTS,
    "spark.driver.extraJavaOptions": ENGINE_OPTS,
    "spark.executorEnv.OMP_WAIT_POLICY": "PASSIVE",
    "spark.executorEnv.OMP_NUM_THREADS": str(TASK_CPUS),
    "spark.yarn.appMasterEnv.OMP_WAIT_POLICY": "PASSIVE",
    "spark.yarn.maxAppAttempts": "1",
}

COMMON = dict(
    conn_id=SPARK_CONN_ID,
    application=APP_JAR,
    java_class=MAIN_CLASS,
    conf=SPARK_CONF,
    files=LOG4J_FILE,
    executor_cores=EXECUTOR_CORES,
    num_executors=NUM_EXECUTORS,
    executor_memory="4g",
    driver_memory="6g",
    deploy_mode=DEPLOY_MODE,
)

inputs = [arg for path in DATASETS for arg in ("--input", path)]

with DAG(
    dag_id="convlens_audit",
    description="ConvLens nightly audit: analyze, model-viz, audit, report into a dated folder",
    schedule="30 1 * * *",
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": timedelta(minutes=10)},
    tags=["convlens"],
) as dag:
    analyze = SparkSubmitOperator(
        task_id="analyze",
        name="convlens-analyze-{{ ds_nodash }}",
        archives=MODEL_ARCHIVE,
        application_args=["analyze", *inputs, "--model", MODEL, "--out", OUT,
                          "--set", "output.mode=resume"],
        **COMMON,
    )
    model_viz = SparkSubmitOperator(
        task_id="model_viz",
        name="convlens-model-viz-{{ ds_nodash }}",
        archives=MODEL_ARCHIVE,
        application_args=["model-viz", "--model", MODEL, "--out", OUT],
        **COMMON,
    )
    audit = SparkSubmitOperator(
        task_id="audit",
        name="convlens-audit-{{ ds_nodash }}",
        archives=MODEL_ARCHIVE,
        # --input: the explanation-quality checks re-read a sample of the analysed images
        application_args=["audit", *inputs, "--model", MODEL, "--out", OUT],
        **COMMON,
    )
    report = SparkSubmitOperator(
        task_id="report",
        name="convlens-report-{{ ds_nodash }}",
        application_args=["report", "--out", OUT],
        **COMMON,
    )

    analyze >> model_viz >> audit >> report
