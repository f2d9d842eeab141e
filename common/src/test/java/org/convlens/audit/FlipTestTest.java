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

  /**
   * Six classes of 100 correct images. Under each edit, class 1 (fragile) loses 40% of its images
   * to class 0; under "desaturate" class 2 (a colour shortcut) loses 60%; under "flip" class 3 (a
   * marker) loses 60%; other classes keep theirs.
   */
  static Map<String, List<FlipTest.Cell>> fragileAndShortcuts(List<String> edits) {
    Map<String, List<FlipTest.Cell>> cells = new java.util.HashMap<>();
    for (String edit : edits) {
      List<int[]> outcomes = new ArrayList<>();
      for (int y = 0; y < 6; y++) {
        for (int i = 0; i < 100; i++) {
          boolean flips = (y == 1 && i < 40) || (y == 2 && edit.equals("desaturate:1") && i < 60)
              || (y == 3 && edit.equals("flip") && i < 60);
          outcomes.add(new int[] {y, y, flips ? (y == 1 ? 0 : 5) : y});
        }
      }
      cells.put(edit, images(outcomes));
    }
    return cells;
  }

  @Test
  void aClassThatEditsOfThreeCueKindsFlipAwayIsFragileNotAShortcut() {
    List<String> edits = List.of("darken:0.4", "desaturate:1", "blur:0.5", "flip");
    Map<String, Cue> global = Map.of("darken:0.4", Cue.ILLUMINATION, "desaturate:1", Cue.TINT, "blur:0.5",
        Cue.BACKGROUND);
    FlipTest.Result raw = FlipTest.run(edits, fragileAndShortcuts(edits), 6, OPTIONS);
    // Without the rule, class 1 is flagged under every edit, the flip included (40% vs ~0).
    for (String e : edits) {
      FlipTest.Test t = raw.tests().stream().filter(x -> x.edit().equals(e) && x.cls() == 1
          && x.direction() == FlipTest.Direction.AWAY).findFirst().orElseThrow();
      assertTrue(t.finding(), t.toString());
    }
    FlipTest.Result r = FlipTest.fragility(raw, global, 3);
    assertEquals(List.of(1), FlipTest.fragileClasses(r));
    List<String> findings = r.tests().stream().filter(FlipTest.Test::finding)
        .map(t -> t.cls() + " " + t.edit() + " " + t.direction().code()).toList();
    // Class 1's global-edit flags are its fragility; the mirror, which changes no global statistic,
    // still counts for it. The colour shortcut (one kind) and the marker (flip only) stay findings.
    assertTrue(findings.contains("2 desaturate:1 away"), findings.toString());
    assertTrue(findings.contains("3 flip away"), findings.toString());
    assertTrue(findings.contains("1 flip away"), findings.toString());
    assertFalse(findings.stream().anyMatch(f -> f.startsWith("1 ") && !f.equals("1 flip away")), findings.toString());
    // Flips to class 0 are class 0's cue, never fragility.
    assertTrue(r.tests().stream().filter(t -> t.cls() == 0 && t.direction() == FlipTest.Direction.TO)
        .noneMatch(FlipTest.Test::fragile));
    // Two kinds do not make a class fragile at the default 3, and 4 turns the rule off.
    List<String> two = List.of("darken:0.4", "desaturate:1");
    FlipTest.Result twoKinds = FlipTest.fragility(FlipTest.run(two, fragileAndShortcuts(two), 6, OPTIONS), global, 3);
    assertTrue(FlipTest.fragileClasses(twoKinds).isEmpty());
    assertTrue(FlipTest.fragileClasses(FlipTest.fragility(raw, global, 4)).isEmpty());
  }

  private static FlipTest.Test test(String edit, int cls, long images, long flips) {
    return FlipTest.Test.builder()
        .edit(edit)
        .cls(cls)
        .direction(FlipTest.Direction.AWAY)
        .images(images)
        .flips(flips)
        .rate((double) flips / images)
        .reference(0)
        .difference(0)
        .se(0)
        .lo(0)
        .hi(0)
        .p(0)
        .pAdjusted(0)
        .partner(-1)
        .partnerShare(0)
        .judged(true)
        .flagged(false)
        .explainedBy(-1)
        .fragile(false)
        .build();
  }

  @Test
  void theOddsRatioPoolsTheOtherJudgedClassesAndPrefersTheMoreSpecificEdit() {
    // Darkening flips 69 of class 0's 100 images and 14% of everyone else's; balancing 56 against 4%.
    List<FlipTest.Test> all = List.of(test("darken", 0, 100, 69), test("darken", 1, 100, 10), test("darken", 2, 100, 18),
        test("balance", 0, 100, 56), test("balance", 1, 100, 4), test("balance", 2, 100, 4),
        FlipTest.Test.builder()
            .edit("balance")
            .cls(3)
            .direction(FlipTest.Direction.AWAY)
            .images(100)
            .flips(100)
            .rate(1)
            .reference(0)
            .difference(0)
            .se(0)
            .lo(0)
            .hi(0)
            .p(0)
            .pAdjusted(0)
            .partner(-1)
            .partnerShare(0)
            .judged(false)
            .flagged(false)
            .explainedBy(-1)
            .fragile(false)
            .build());
    double[] darken = FlipTest.oddsRatio(all.get(0), all);
    double[] balance = FlipTest.oddsRatio(all.get(3), all);
    // Haldane's +0.5: (69.5 * 172.5) / (31.5 * 28.5); the unjudged class 3 is not pooled.
    assertEquals(69.5 * 172.5 / (31.5 * 28.5), darken[0], 1e-9);
    assertEquals(56.5 * 192.5 / (44.5 * 8.5), balance[0], 1e-9);
    double se = Math.sqrt(1 / 56.5 + 1 / 44.5 + 1 / 8.5 + 1 / 192.5);
    assertEquals(balance[0] * Math.exp(-1.959963984540054 * se), balance[1], 1e-9);
    assertEquals(balance[0] * Math.exp(1.959963984540054 * se), balance[2], 1e-9);
    assertTrue(balance[0] > darken[0], "balancing is the more specific edit though its difference is smaller");
  }
}
