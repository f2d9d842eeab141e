package org.convlens.testing;

import org.apache.spark.sql.SparkSession;
import org.convlens.config.Settings.SparkSettings;
import org.convlens.spark.Sessions;

/**
 * One local Spark session for every test class in a JVM (as Spark ML's SharedSparkSession):
 * starting Spark costs seconds, so tests share it and never stop it.
 */
public final class SharedSpark {
  private static SparkSession spark;

  private SharedSpark() {}

  public static synchronized SparkSession get() {
    // A CLI run inside a test stops the session it used (the same one): start a fresh one then.
    if (spark == null || spark.sparkContext().isStopped()) {
      spark = Sessions.create(
          new SparkSettings("local[2]", "convlens-test", java.util.Map.of("spark.ui.enabled", "false")), true);
    }
    return spark;
  }
}
