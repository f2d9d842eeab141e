package org.convlens.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The report's overlays are the registry's, in today's order. */
class ReportMethodsTest {
  @Test
  void overlaidMapColumnsOfTheDefaultRegistry() {
    assertEquals(List.of("saliency", "smoothgrad", "gradcam", "cam", "gradient_x_input", "gradcam_plus_plus", "layercam",
        "integrated_gradients", "guided_backprop", "deconvnet", "guided_gradcam"), ReportRun.MAP_COLUMNS);
  }
}
