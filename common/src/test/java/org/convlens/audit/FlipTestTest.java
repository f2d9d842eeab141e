package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The flip statistics on made-up outcome tables with known answers. */
class FlipTestTest {
  static final FlipTest.Options OPTIONS = new FlipTest.Options(1000, 7L, 0.15, 0.05, 10);

  /** Per-image outcomes (true class, before, after) as cells of one image each. */
  static List<FlipTest.Cell> images(List<int[]> outcomes) {
    List<FlipTest.Cell> cells = new ArrayList<>();
    for (int[] o : outcomes) {
      cells.add(new FlipTest.Cell(o[0], o[1], o[2], 1));
    }
    return cells;
  }

  /**
   * Five classes of {@code perClass} correctly predicted images. Under the edit, {@code toTwo}
   * of every 100 images of the other classes turn into class 2, and class 2's own images flip
   * into each other class at {@code intoOthers} per 100 of the other classes' count: so the
   * flip-to rate into class 2 is toTwo% and into every other class intoOthers%.
   */
  static List<int[]> darkening(int perClass, int toTwo, int intoOthers) {
    List<int[]> out = new ArrayList<>();
    int others = 4 * perClass; // images not of class k, for any k
    int perTarget = intoOthers * others / 100;
    for (int y = 0; y < 5; y++) {
      for (int i = 0; i < perClass; i++) {
        int after = y;
        if (y != 2 && i < toTwo * perClass / 100) {
          after = 2;
        } else if (y == 2) {
          int k = i / Math.max(1, perTarget);
          int target = k < 2 ? k : k + 1; // 0, 1, 3, 4
          after = k < 4 && perTarget > 0 ? target : 2;
        }
        out.add(new int[] {y, y, after});
      }
    }
    return out;
  }

  static FlipTest.Test find(FlipTest.Result r, int cls, FlipTest.Direction d) {
    return r.tests().stream().filter(t -> t.cls() == cls && t.direction() == d).findFirst().orElseThrow();
  }

  @Test
  void aClassThatDarkeningFeedsIsFlaggedWithTheRightSignAndAnIntervalAboveZero() {
    List<FlipTest.Cell> cells = images(darkening(100, 60, 3));
    FlipTest.Result r = FlipTest.run(List.of("darken:0.4"), Map.of("darken:0.4", cells), 5, OPTIONS);
    FlipTest.Test to2 = find(r, 2, FlipTest.Direction.TO);
    assertEquals(400, to2.images());
    assertEquals(0.60, to2.rate(), 1e-12);
    assertEquals(0.03, to2.reference(), 1e-12, "12 of 400 images flip into each other class");
    assertEquals(0.57, to2.difference(), 1e-12);
    assertTrue(to2.lo() > 0.45 && to2.hi() < 0.70 && to2.lo() < 0.57 && to2.hi() > 0.57, to2.toString());
    assertTrue(to2.flagged());
    assertTrue(to2.p() < 1e-10);
    assertEquals(2 * 5, r.judged(), "5 classes, 2 directions");
    List<FlipTest.Test> flagged = r.tests().stream().filter(FlipTest.Test::flagged).toList();
    assertEquals(List.of(to2), flagged, "nothing else stands out: " + flagged);
    // Class 2's own images flip away less (48%) than the others' (60%): a negative difference.
    assertTrue(find(r, 2, FlipTest.Direction.AWAY).difference() < 0);
  }

  @Test
  void equalRatesFlagNothing() {
    // Every class loses 30% of its images to the next class: every rate is the same.
    List<int[]> outcomes = new ArrayList<>();
    for (int y = 0; y < 5; y++) {
      for (int i = 0; i < 100; i++) {
        outcomes.add(new int[] {y, y, i < 30 ? (y + 1) % 5 : y});
      }
    }
    FlipTest.Result r = FlipTest.run(List.of("blur:1"), Map.of("blur:1", images(outcomes)), 5, OPTIONS);
    for (FlipTest.Test t : r.tests()) {
      assertTrue(t.judged());
      assertEquals(0, t.difference(), 1e-12, t.toString());
      assertFalse(t.flagged(), t.toString());
      assertTrue(t.lo() <= 0 && t.hi() >= 0, t.toString());
    }
  }

  @Test
  void theSameRatesOnFewImagesAreNotSignificantButOnManyAre() {
    // Flip-to rate 20% into class 2 vs 5% into the others: a difference of 0.15, the threshold.
    List<FlipTest.Cell> few = images(darkening(10, 20, 5));
    List<FlipTest.Cell> many = images(darkening(200, 20, 5));
    FlipTest.Test small = find(FlipTest.run(List.of("e"), Map.of("e", few), 5, OPTIONS), 2, FlipTest.Direction.TO);
    FlipTest.Test large = find(FlipTest.run(List.of("e"), Map.of("e", many), 5, OPTIONS), 2, FlipTest.Direction.TO);
    assertEquals(small.difference(), large.difference(), 1e-12);
    assertTrue(small.difference() >= OPTIONS.minDifference() - 1e-12);
    assertFalse(small.flagged(), "40 images of the other classes cannot show it: " + small);
    assertTrue(small.lo() < 0.05, small.toString());
    assertTrue(large.flagged(), large.toString());
  }

  @Test
  void aSmallDifferenceIsNotFlaggedHoweverSignificant() {
    // 10% vs 3% on 4,000 images: significant, but below min-difference.
    FlipTest.Test t = find(FlipTest.run(List.of("e"), Map.of("e", images(darkening(1000, 10, 3))), 5, OPTIONS), 2,
        FlipTest.Direction.TO);
    assertTrue(t.p() < 1e-6, t.toString());
    assertFalse(t.flagged());
  }

  @Test
  void classesWithTooFewImagesAreNotJudgedAndDoNotCountInM() {
    List<int[]> outcomes = darkening(100, 60, 3);
    for (int i = 0; i < 5; i++) {
      outcomes.add(new int[] {5, 5, 5}); // class 5: five images, all kept
    }
    FlipTest.Result r = FlipTest.run(List.of("e"), Map.of("e", images(outcomes)), 6, OPTIONS);
    FlipTest.Test away5 = find(r, 5, FlipTest.Direction.AWAY);
    assertFalse(away5.judged());
    assertTrue(Double.isNaN(away5.difference()));
    assertTrue(find(r, 5, FlipTest.Direction.TO).judged(), "500 images are neither labelled nor predicted 5");
    assertEquals(2 * 5 + 1, r.judged());
  }

  @Test
  void unlabelledImagesCountForFlipsToAnyClass() {
    List<int[]> outcomes = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      outcomes.add(new int[] {-1, 0, i < 10 ? 1 : 0});
      outcomes.add(new int[] {-1, 1, 1});
    }
    FlipTest.Result r = FlipTest.run(List.of("e"), Map.of("e", images(outcomes)), 2, OPTIONS);
    FlipTest.Test to1 = find(r, 1, FlipTest.Direction.TO);
    assertEquals(20, to1.images());
    assertEquals(10, to1.flips());
  }

  @Test
  void resultsDependOnTheCountsNotOnTheirOrderOrSplit() {
    List<FlipTest.Cell> cells = images(darkening(50, 40, 4));
    FlipTest.Result a = FlipTest.run(List.of("e"), Map.of("e", cells), 5, OPTIONS);
    // The same images in another order, grouped into counted cells the way Spark's groupBy would
    // (some merged, some split across partitions).
    List<FlipTest.Cell> shuffled = new ArrayList<>(cells);
    Collections.shuffle(shuffled, new Random(3));
    Map<List<Integer>, Long> merged = new java.util.TreeMap<>(java.util.Comparator.comparing(Object::toString));
    for (FlipTest.Cell c : shuffled.subList(0, 120)) {
      merged.merge(List.of(c.trueClass(), c.before(), c.after()), c.images(), Long::sum);
    }
    List<FlipTest.Cell> regrouped = new ArrayList<>(shuffled.subList(120, shuffled.size()));
    merged.forEach((k, n) -> regrouped.add(new FlipTest.Cell(k.get(0), k.get(1), k.get(2), n)));
    Collections.shuffle(regrouped, new Random(4));
    FlipTest.Result b = FlipTest.run(List.of("e"), Map.of("e", regrouped), 5, OPTIONS);
    assertEquals(a, b);
    FlipTest.Result otherSeed = FlipTest.run(List.of("e"), Map.of("e", cells), 5,
        new FlipTest.Options(1000, 8L, 0.15, 0.05, 10));
    FlipTest.Test t = find(a, 2, FlipTest.Direction.TO);
    FlipTest.Test u = find(otherSeed, 2, FlipTest.Direction.TO);
    assertEquals(t.difference(), u.difference(), 0);
    assertTrue(t.se() != u.se() && Math.abs(t.se() - u.se()) < 0.2 * t.se(), t.se() + " vs " + u.se());
  }

  @Test
  void otherClassesLosingTheirImagesToTheDarkClassAreItsFindingNotTheirs() {
    // Three classes: darkening turns 90% of classes 1 and 2 into class 0. Their flips away stand
    // out against class 0's none (0.9 vs the mean of 0 and 0.9), but all go to class 0, whose
    // flip-to test is stronger: they are explained by it.
    List<int[]> outcomes = new ArrayList<>();
    for (int y = 0; y < 3; y++) {
      for (int i = 0; i < 100; i++) {
        outcomes.add(new int[] {y, y, y != 0 && i < 90 ? 0 : y});
      }
    }
    FlipTest.Result r = FlipTest.run(List.of("darken:0.4"), Map.of("darken:0.4", images(outcomes)), 3, OPTIONS);
    FlipTest.Test to0 = find(r, 0, FlipTest.Direction.TO);
    assertTrue(to0.finding(), to0.toString());
    for (int c = 1; c < 3; c++) {
      FlipTest.Test away = find(r, c, FlipTest.Direction.AWAY);
      assertTrue(away.flagged(), away.toString());
      assertEquals(0, away.partner());
      assertEquals(1.0, away.partnerShare(), 0);
      assertEquals(0, away.explainedBy());
      assertFalse(away.finding());
    }
    assertEquals(List.of(to0), r.tests().stream().filter(FlipTest.Test::finding).toList());
  }
}
