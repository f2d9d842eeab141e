package org.convlens.spark;

import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.convlens.config.Settings.SparkSettings;

/** Creates the Spark session every job runs in. */
public final class Sessions {
  private Sessions() {}

  /**
   * A session for {@code settings}. Under spark-submit the master it was given wins unless
   * {@code masterExplicit} (the user passed {@code --master} to ConvLens). In local mode the
   * driver binds to the loopback interface only and the web UI is off unless configured.
   */
  public static SparkSession create(SparkSettings settings, boolean masterExplicit) {
    SparkConf conf = new SparkConf(); // picks up spark.* system properties set by spark-submit
    if (masterExplicit || !conf.contains("spark.master")) {
      conf.setMaster(settings.master());
    }
    conf.setIfMissing("spark.app.name", settings.appName());
    for (Map.Entry<String, String> e : settings.conf().entrySet()) {
      conf.set(e.getKey(), e.getValue());
    }
    if (conf.get("spark.master").startsWith("local")) {
      conf.setIfMissing("spark.driver.host", "127.0.0.1");
      conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
      conf.setIfMissing("spark.ui.enabled", "false");
      // Few, small shuffles (listing sort, counts): Spark's 200 default only adds overhead here.
      conf.setIfMissing("spark.sql.shuffle.partitions", String.valueOf(
          Math.max(4, 2 * Runtime.getRuntime().availableProcessors())));
    }
    // Running tasks report their accumulators with each heartbeat; progress lines use them
    // (ProgressReporter), so beat every 2 s rather than 10 (one small RPC per executor).
    conf.setIfMissing("spark.executor.heartbeatInterval", "2s");
    // Our output schemas have more than Spark's 25 fields; without this every write of one logs
    // a "Truncated the string representation of a plan" warning.
    conf.setIfMissing("spark.sql.debug.maxToStringFields", "100");
    SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    return spark;
  }
}
