package org.convlens.jobs;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The package layering of ConvLens's main code (the library in common and the CLI in jobs),
 * lowest first. A layer may use only the layers listed for it; layers on one level (data and
 * model aside, see below) do not use each other:
 *
 * <ol>
 *   <li>util, then config (generic configuration machinery; it uses util only);
 *   <li>model; data, which may use model (the {@code Preprocessor} follows a model's
 *       description) while model never uses data; spark (sessions and outputs), on config and
 *       data;
 *   <li>attribution; sampledata (generated sample data and the small CNN's training);
 *   <li>analyze;
 *   <li>modelviz, audit, embedding;
 *   <li>report;
 *   <li>pipeline (the configuration aggregate and its loader), then jobs (the CLI).
 * </ol>
 *
 * <p>The benchmarks (module bench) sit above jobs; Maven's module graph keeps the rest from
 * using them. Tests are left out: they may reach across layers to build fixtures.
 */
@AnalyzeClasses(packages = "org.convlens",
    importOptions = {ImportOption.DoNotIncludeTests.class, LayersTest.NoTestJars.class})
class LayersTest {

  /**
   * Leaves out common's test classes when they come as its test jar: in a full {@code mvn verify}
   * the reactor hands jobs {@code convlens-common-*-tests.jar} rather than the
   * {@code target/test-classes} folder that {@link ImportOption.DoNotIncludeTests} recognises.
   */
  static final class NoTestJars implements ImportOption {
    @Override
    public boolean includes(Location location) {
      return !location.contains("-tests.jar");
    }
  }

  private static final String[] LAYERS = {
    "org.convlens.util..", "org.convlens.config..", "org.convlens.model..", "org.convlens.data..",
    "org.convlens.spark..", "org.convlens.attribution..", "org.convlens.sampledata..",
    "org.convlens.analyze..", "org.convlens.modelviz..", "org.convlens.audit..",
    "org.convlens.embedding..", "org.convlens.report..", "org.convlens.pipeline..",
    "org.convlens.jobs.."
  };

  @ArchTest
  static final ArchRule layers =
      layeredArchitecture()
          .consideringOnlyDependenciesInLayers()
          .layer("util").definedBy("org.convlens.util..")
          .layer("config").definedBy("org.convlens.config..")
          .layer("model").definedBy("org.convlens.model..")
          .layer("data").definedBy("org.convlens.data..")
          .layer("spark").definedBy("org.convlens.spark..")
          .layer("attribution").definedBy("org.convlens.attribution..")
          .layer("sampledata").definedBy("org.convlens.sampledata..")
          .layer("analyze").definedBy("org.convlens.analyze..")
          .layer("modelviz").definedBy("org.convlens.modelviz..")
          .layer("audit").definedBy("org.convlens.audit..")
          .layer("embedding").definedBy("org.convlens.embedding..")
          .layer("report").definedBy("org.convlens.report..")
          .layer("pipeline").definedBy("org.convlens.pipeline..")
          .layer("jobs").definedBy("org.convlens.jobs..")
          .whereLayer("util").mayNotAccessAnyLayer()
          .whereLayer("config").mayOnlyAccessLayers("util")
          .whereLayer("model").mayOnlyAccessLayers("util", "config")
          .whereLayer("data").mayOnlyAccessLayers("util", "config", "model")
          .whereLayer("spark").mayOnlyAccessLayers("util", "config", "data")
          .whereLayer("attribution").mayOnlyAccessLayers("util", "config", "model", "data")
          .whereLayer("sampledata").mayOnlyAccessLayers("util", "config", "model", "data")
          .whereLayer("analyze")
          .mayOnlyAccessLayers("util", "config", "model", "data", "spark", "attribution")
          .whereLayer("modelviz")
          .mayOnlyAccessLayers(
              "util", "config", "model", "data", "spark", "attribution", "analyze")
          .whereLayer("audit")
          .mayOnlyAccessLayers(
              "util", "config", "model", "data", "spark", "attribution", "analyze")
          .whereLayer("embedding")
          .mayOnlyAccessLayers("util", "config", "model", "data", "spark", "attribution", "analyze")
          .whereLayer("report")
          .mayOnlyAccessLayers(
              "util", "config", "model", "data", "spark", "attribution", "analyze", "modelviz",
              "audit", "embedding")
          .whereLayer("pipeline")
          .mayOnlyAccessLayers(
              "util", "config", "model", "data", "spark", "attribution", "analyze", "modelviz",
              "audit", "embedding", "report")
          .whereLayer("jobs").mayNotBeAccessedByAnyLayer();

  /** Every main package is in a layer above, so a new package cannot slip past the check. */
  @ArchTest
  static final ArchRule everyPackageInALayer =
      classes().that().resideInAPackage("org.convlens..").should().resideInAnyPackage(LAYERS);

  /** No two top-level packages use each other, directly or through others. */
  @ArchTest
  static final ArchRule noCycles =
      slices().matching("org.convlens.(*)..").should().beFreeOfCycles();
}
