package org.convlens.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class DeviceSelectorTest {
  @Test
  void cpuAndAutoOutsideATaskAreCpu() {
    assertEquals(Device.cpu(), DeviceSelector.resolve("cpu"));
    assertEquals(Device.cpu(), DeviceSelector.resolve("auto"));
    assertTrue(DeviceSelector.taskGpuAddresses().isEmpty());
  }

  @Test
  void autoWithoutAssignedGpuNeverAsksTheEngine() {
    assertEquals(Device.cpu(), DeviceSelector.resolve("auto", List.of(), () -> {
      throw new AssertionError("engine asked");
    }));
  }

  @Test
  void autoUsesTheTasksGpuWhenTheEngineSeesGpus() {
    assertEquals(Device.gpu(1), DeviceSelector.resolve("auto", List.of("1"), () -> 2));
    assertEquals(Device.cpu(), DeviceSelector.resolve("auto", List.of("1"), () -> 0));
  }

  @Test
  void gpuUsesTheTasksGpuElseGpu0() {
    assertEquals(Device.gpu(1), DeviceSelector.resolve("gpu", List.of("1"), () -> 2));
    assertEquals(Device.gpu(0), DeviceSelector.resolve("gpu", List.of(), () -> 1));
  }

  @Test
  void gpuFailsClearlyWithoutGpus() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> DeviceSelector.resolve("gpu", List.of(), () -> 0));
    assertTrue(e.getMessage().contains("sees no GPU"), e.getMessage());
  }

  @Test
  void badAssignmentsFailClearly() {
    IllegalStateException range = assertThrows(IllegalStateException.class,
        () -> DeviceSelector.resolve("auto", List.of("3"), () -> 2));
    assertTrue(range.getMessage().contains("GPU 3"), range.getMessage());
    assertThrows(IllegalStateException.class,
        () -> DeviceSelector.resolve("gpu", List.of("GPU-ab12"), () -> 2));
  }

  @Test
  void gpuOnThisMachineFailsWhenTheEngineHasNoGpu() {
    EngineSetup.configure(ModelFixtures.THREADS, ModelFixtures.INTEROP_THREADS);
    Assumptions.assumeTrue(DeviceSelector.engineGpuCount() == 0);
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> DeviceSelector.resolve("gpu"));
    assertTrue(e.getMessage().contains("'gpu'"), e.getMessage());
  }
}
