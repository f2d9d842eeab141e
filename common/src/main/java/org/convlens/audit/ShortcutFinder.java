package org.convlens.audit;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * Finds shortcut candidates: classes whose explanations pile their mass into one small region,
 * or along a border, far more than the other classes' explanations do there.
 *
 * <p>For each method and class {@code c} (true labels), with {@code M_c} the class's mean
 * attention map and {@code B_c} the mean of the other classes' mean maps (class-balanced), every
 * candidate {@link Region} R gets {@code mass = M_c(R)}, {@code background = B_c(R)} and {@code
 * lift = mass / background}. The class's region is the one of highest lift among those holding at
 * least {@code min-mass} (else the one of most excess mass, {@code mass − background}). A method
 * flags the class when lift ≥ {@code min-lift}, mass ≥ {@code min-mass} and the region is
 * consistent: at least {@code min-consistency} of the class's images have their own lift there
 * (their mass in R over {@code background}) ≥ {@code image-lift}, so that a mean made of a few
 * extreme images does not count. The class is flagged when {@code min-methods} methods flag it.
 *
 * <p>Then the images that may be fooled by it: images of another (known) class predicted as a
 * flagged class whose own lift in that class's region is ≥ {@code image-lift} in as many of the
 * flagging methods as the class needed ("suspects").
 */
public final class ShortcutFinder {
  /** The chosen region of one class and method, before and after the consistency pass. */
  public record Candidate(int cls, String method, Region region, long images, double mass, double background,
      double lift, double consistency, boolean flagged) implements Serializable {
    Candidate withConsistency(double c, boolean f) {
      return new Candidate(cls, method, region, images, mass, background, lift, c, f);
    }

    /** A builder, so that a caller names each of the 9 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private int cls;
      private String method;
      private Region region;
      private long images;
      private double mass;
      private double background;
      private double lift;
      private double consistency;
      private boolean flagged;

      private Builder() {}

      public Builder cls(int cls) {
        this.cls = cls;
        return this;
      }

      public Builder method(String method) {
        this.method = method;
        return this;
      }

      public Builder region(Region region) {
        this.region = region;
        return this;
      }

      public Builder images(long images) {
        this.images = images;
        return this;
      }

      public Builder mass(double mass) {
        this.mass = mass;
        return this;
      }

      public Builder background(double background) {
        this.background = background;
        return this;
      }

      public Builder lift(double lift) {
        this.lift = lift;
        return this;
      }

      public Builder consistency(double consistency) {
        this.consistency = consistency;
        return this;
      }

      public Builder flagged(boolean flagged) {
        this.flagged = flagged;
        return this;
      }

      public Candidate build() {
        return new Candidate(cls, method, region, images, mass, background, lift, consistency, flagged);
      }
    }
  }

  /** One image's mass in a class's region. */
  public static final StructType IMAGE_REGION = new StructType()
      .add("id", DataTypes.StringType, false)
      .add("true_class", DataTypes.IntegerType, true)
      .add("predicted", DataTypes.IntegerType, false)
      .add("predicted_prob", DataTypes.FloatType, false)
      .add("region_class", DataTypes.IntegerType, false)
      .add("method", DataTypes.StringType, false)
      .add("mass", DataTypes.DoubleType, false)
      .add("lift", DataTypes.DoubleType, false);

  /** The finder's result. */
  public record Result(List<Candidate> candidates, Map<Integer, Integer> flaggedMethods, Dataset<Row> examples,
      Dataset<Row> suspects, Map<Integer, Long> suspectCounts, Dataset<Row> perImage) {
    public boolean flagged(int cls) {
      return flaggedMethods.containsKey(cls);
    }

    /** Frees the cached per-image table and suspects once examples and suspects are read. */
    public void release() {
      suspects.unpersist();
      perImage.unpersist();
    }

    /** A builder, so that a caller names each of the 6 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private List<Candidate> candidates;
      private Map<Integer, Integer> flaggedMethods;
      private Dataset<Row> examples;
      private Dataset<Row> suspects;
      private Map<Integer, Long> suspectCounts;
      private Dataset<Row> perImage;

      private Builder() {}

      public Builder candidates(List<Candidate> candidates) {
        this.candidates = candidates;
        return this;
      }

      public Builder flaggedMethods(Map<Integer, Integer> flaggedMethods) {
        this.flaggedMethods = flaggedMethods;
        return this;
      }

      public Builder examples(Dataset<Row> examples) {
        this.examples = examples;
        return this;
      }

      public Builder suspects(Dataset<Row> suspects) {
        this.suspects = suspects;
        return this;
      }

      public Builder suspectCounts(Map<Integer, Long> suspectCounts) {
        this.suspectCounts = suspectCounts;
        return this;
      }

      public Builder perImage(Dataset<Row> perImage) {
        this.perImage = perImage;
        return this;
      }

      public Result build() {
        return new Result(candidates, flaggedMethods, examples, suspects, suspectCounts, perImage);
      }
    }
  }

  private ShortcutFinder() {}

  /** The region of highest lift (with enough mass) of every class and method with enough images. */
  public static List<Candidate> choose(List<ClassAttention.Mean> means, AuditSettings s) {
    List<Region> regions = Region.candidates(s.grid(), s.regionSides(), s.border());
    Map<String, Map<Integer, ClassAttention.Mean>> byMethod = new LinkedHashMap<>();
    for (ClassAttention.Mean m : means) {
      if (m.key().scope().equals(ClassAttention.BY_LABEL)) {
        byMethod.computeIfAbsent(m.key().method(), k -> new java.util.TreeMap<>()).put(m.key().cls(), m);
      }
    }
    List<Candidate> out = new ArrayList<>();
    for (var e : byMethod.entrySet()) {
      Map<Integer, ClassAttention.Mean> classes = e.getValue();
      if (classes.size() < 2) {
        continue; // no other class to compare with
      }
      for (ClassAttention.Mean c : classes.values()) {
        if (c.images() < s.minImages()) {
          continue;
        }
        float[] background = new float[c.map().length];
        int others = 0;
        for (ClassAttention.Mean o : classes.values()) {
          if (o != c) {
            for (int i = 0; i < background.length; i++) {
              background[i] += o.map()[i];
            }
            others++;
          }
        }
        for (int i = 0; i < background.length; i++) {
          background[i] /= others;
        }
        Candidate best = null;
        double bestKey = Double.NEGATIVE_INFINITY;
        boolean bestHasMass = false;
        for (Region r : regions) {
          double mass = AttentionMaps.mass(c.map(), s.grid(), r);
          double bg = AttentionMaps.mass(background, s.grid(), r);
          double lift = mass / Math.max(bg, 1e-9);
          boolean hasMass = mass >= s.minMass();
          double key = hasMass ? lift : mass - bg;
          if ((hasMass && !bestHasMass) || (hasMass == bestHasMass && key > bestKey)) {
            best = Candidate.builder()
                .cls(c.key().cls())
                .method(e.getKey())
                .region(r)
                .images(c.images())
                .mass(mass)
                .background(bg)
                .lift(lift)
                .consistency(0)
                .flagged(false)
                .build();
            bestKey = key;
            bestHasMass = hasMass;
          }
        }
        out.add(best);
      }
    }
    return out;
  }

  /**
   * The consistency pass and the suspects, on the executors.
   *
   * @param rows usable rows with {@link AuditRows#TRUE_CLASS}
   */
  public static Result find(Dataset<Row> rows, List<ClassAttention.Mean> means, AuditSettings s, int inputH,
      int inputW) {
    List<Candidate> chosen = choose(means, s);
    Map<String, Candidate> byKey = new HashMap<>();
    for (Candidate c : chosen) {
      byKey.put(c.cls() + "/" + c.method(), c);
    }
    List<String> methods = chosen.stream().map(Candidate::method).distinct().toList();
    int grid = s.grid();
    Dataset<Row> perImage = rows.mapPartitions((org.apache.spark.api.java.function.MapPartitionsFunction<Row, Row>)
        it -> {
          List<Row> out = new ArrayList<>();
          while (it.hasNext()) {
            Row row = it.next();
            Integer label = AuditRows.trueClass(row);
            int predicted = row.getInt(row.fieldIndex("predicted"));
            float prob = row.<Float>getList(row.fieldIndex("top_k_prob")).get(0);
            for (String m : methods) {
              Candidate a = label == null ? null : byKey.get(label + "/" + m);
              Candidate b = label != null && label == predicted ? null : byKey.get(predicted + "/" + m);
              if (a == null && b == null) {
                continue;
              }
              float[] map = AttentionMaps.of(row, m, grid, inputH, inputW);
              if (map == null) {
                continue;
              }
              for (Candidate c : new Candidate[] {a, b}) {
                if (c != null) {
                  double mass = AttentionMaps.mass(map, grid, c.region());
                  out.add(RowFactory.create(row.getString(row.fieldIndex("id")), label, predicted, prob, c.cls(), m,
                      mass, mass / Math.max(c.background(), 1e-9)));
                }
              }
            }
          }
          return out.iterator();
        }, Encoders.row(IMAGE_REGION)).persist(StorageLevel.MEMORY_AND_DISK());

    Dataset<Row> own = perImage.filter(col("true_class").equalTo(col("region_class")));
    Map<String, Double> consistency = new HashMap<>();
    for (Row r : own.groupBy("region_class", "method")
        .agg(count("*"), sum(when(col("lift").geq(s.imageLift()), 1).otherwise(0))).collectAsList()) {
      consistency.put(r.getInt(0) + "/" + r.getString(1), r.getLong(3) / (double) r.getLong(2));
    }
    List<Candidate> candidates = new ArrayList<>();
    Map<Integer, Integer> methodsFlagging = new java.util.TreeMap<>();
    for (Candidate c : chosen) {
      double k = consistency.getOrDefault(c.cls() + "/" + c.method(), 0.0);
      boolean f = c.lift() >= s.minLift() && c.mass() >= s.minMass() && k >= s.minConsistency();
      candidates.add(c.withConsistency(k, f));
      if (f) {
        methodsFlagging.merge(c.cls(), 1, Integer::sum);
      }
    }
    int needed = Math.min(s.minMethods(), methods.size());
    Map<Integer, Integer> flagged = new java.util.TreeMap<>();
    methodsFlagging.forEach((cls, n) -> {
      if (n >= needed) {
        flagged.put(cls, n);
      }
    });
    List<Integer> flaggedClasses = new ArrayList<>(flagged.keySet());
    List<String> flaggedPairs = candidates.stream().filter(c -> c.flagged() && flagged.containsKey(c.cls()))
        .map(c -> c.cls() + "/" + c.method()).toList();
    Dataset<Row> flaggedRows = perImage.filter(org.apache.spark.sql.functions.concat_ws("/",
        col("region_class").cast("string"), col("method")).isin(flaggedPairs.toArray()));

    Dataset<Row> examples = flaggedRows.filter(col("true_class").equalTo(col("region_class")))
        .withColumn("_rank", row_number().over(Window.partitionBy("region_class", "method").orderBy(col("mass").desc(),
            col("id"))))
        .filter(col("_rank").leq(s.examples())).drop("_rank");
    Dataset<Row> suspectMethods = flaggedRows
        .filter(col("predicted").equalTo(col("region_class")).and(col("true_class").isNotNull())
            .and(col("true_class").notEqual(col("region_class"))).and(col("lift").geq(s.imageLift())))
        .groupBy("id", "true_class", "predicted", "predicted_prob", "region_class")
        .agg(countDistinct("method").cast(DataTypes.IntegerType).as("methods"), max("lift").as("lift"));
    Dataset<Row> suspects = suspectMethods.filter(col("methods").geq(needed))
        .persist(StorageLevel.MEMORY_AND_DISK());
    Map<Integer, Long> suspectCounts = new java.util.TreeMap<>();
    for (Row r : suspects.groupBy("region_class").count().collectAsList()) {
      suspectCounts.put(r.getInt(0), r.getLong(1));
    }
    if (flaggedClasses.isEmpty()) {
      suspectCounts.clear();
    }
    return Result.builder()
        .candidates(candidates)
        .flaggedMethods(flagged)
        .examples(examples)
        .suspects(suspects)
        .suspectCounts(suspectCounts)
        .perImage(perImage)
        .build();
  }
}
