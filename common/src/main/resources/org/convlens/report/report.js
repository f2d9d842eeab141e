/* ConvLens report: draws every section from the JSON block with Apache ECharts and canvas.
 * Dataset strings only ever reach the page through textContent, option text or ECharts (which
 * draws text on a canvas), never through innerHTML; the page's CSP forbids any other script. */
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('convlens-data').textContent);
  var charts = {};
  // For people (and the browser test) poking at the report in the console.
  window.convlens = { data: D, charts: charts };

  // ---------- small helpers ----------
  function $(id) { return document.getElementById(id); }

  function el(tag, props, children) {
    var e = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (k) {
        if (k === 'text') e.textContent = props[k];
        else if (k === 'cls') e.className = props[k];
        else e[k] = props[k];
      });
    }
    (children || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function note(node, text) { node.appendChild(el('p', { cls: 'note missing', text: text })); }

  function fmt(v, digits) { return v === null || v === undefined ? 'n/a' : Number(v).toFixed(digits); }

  function option(select, value, text) { select.appendChild(el('option', { value: String(value), text: text })); }

  function chartOn(id) {
    var node = $(id);
    if (charts[id]) charts[id].dispose();
    var c = echarts.init(node, null, { renderer: 'canvas' });
    charts[id] = c;
    return c;
  }

  window.addEventListener('resize', function () {
    Object.keys(charts).forEach(function (k) { if (!charts[k].isDisposed()) charts[k].resize(); });
  });

  var BASE_COLORS = ['#5470c6', '#91cc75', '#fac858', '#ee6666', '#73c0de', '#3ba272', '#fc8452',
    '#9a60b4', '#ea7ccc', '#2f4554', '#c23531', '#61a0a8'];
  function colorOf(i) {
    if (i < 0) return '#9aa0a6';
    if (i < BASE_COLORS.length) return BASE_COLORS[i];
    return 'hsl(' + ((i * 137.508) % 360).toFixed(1) + ',65%,50%)';
  }

  // A perceptual dark-to-bright map (anchors of matplotlib's inferno) for heat overlays.
  var INFERNO = [[0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99], [212, 72, 66],
    [245, 125, 21], [250, 193, 39], [252, 255, 164]];
  function heat(t) {
    t = Math.max(0, Math.min(1, t)) * (INFERNO.length - 1);
    var i = Math.min(INFERNO.length - 2, Math.floor(t)), f = t - i, a = INFERNO[i], b = INFERNO[i + 1];
    return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])];
  }

  function loadImage(src) {
    return new Promise(function (resolve, reject) {
      var img = new Image();
      img.onload = function () { resolve(img); };
      img.onerror = function () { reject(new Error('image failed to load')); };
      img.src = src;
    });
  }

  function decodeBase64(s) {
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  /** Draws img scaled to the canvas, then (optionally) a 0..255 map as a heat overlay. */
  function drawOverlay(canvas, img, map, alpha) {
    var ctx = canvas.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (img) ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    if (!map) return;
    var values = decodeBase64(map.data);
    var off = document.createElement('canvas');
    off.width = map.width; off.height = map.height;
    var octx = off.getContext('2d'), data = octx.createImageData(map.width, map.height);
    for (var i = 0; i < values.length; i++) {
      var c = heat(values[i] / 255);
      data.data[4 * i] = c[0]; data.data[4 * i + 1] = c[1]; data.data[4 * i + 2] = c[2];
      data.data[4 * i + 3] = Math.round(255 * alpha * (0.25 + 0.75 * values[i] / 255));
    }
    octx.putImageData(data, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
  }

  /** Draws section id with its renderer, fn(the section element, data), or notes why it could not. */
  function section(id, fn, data) {
    try {
      fn($(id), data);
      $(id).setAttribute('data-rendered', 'true');
    } catch (e) {
      $(id).setAttribute('data-rendered', 'error');
      note($(id), 'This section could not be drawn: ' + e.message);
      console.error('convlens: section ' + id + ': ' + (e && e.stack ? e.stack : e));
    }
  }

  var RICH_TOOLTIP = { trigger: 'item', renderMode: 'richText', confine: true };

  // ---------- the data's typed shape ----------
  // One typedef per Java record of the report's data (report.ReportData and what it holds) and of
  // audit.json (audit.AuditSummary); docs/report.md and docs/parquet-schema.md describe them.
  /**
   * The whole data block (Java: report.ReportData).
   * @typedef {Object} ReportData
   * @property {string} title
   * @property {string} generated_at ISO-8601 UTC
   * @property {Object<string, *>} settings the report settings by key
   * @property {RunData} run
   * @property {?ModelData} model null without a model-viz output
   * @property {EmbeddingData} embedding
   * @property {MethodView[]} methods every attribution method, in registry order
   * @property {GalleryData} gallery
   * @property {?AuditSummary} audit null without an audit of this model
   */

  /**
   * One attribution method as the report shows it (Java: attribution.Attributions.ReportSection).
   * @typedef {Object} MethodView
   * @property {string} name its analyze.methods name and column
   * @property {string} title
   * @property {?string} map the map column drawn over the image; null when none
   * @property {boolean} grid whether its column is a perturbation grid
   */
  /**
   * run.json, the analyze run's summary, as written (Java: analyze.RunRecord; docs/parquet-schema.md).
   * @typedef {Object} RunJson
   * @property {string} run_id
   * @property {string} finished_at ISO-8601 UTC
   * @property {number} schema_version
   * @property {string} model_id
   * @property {?string} device
   * @property {Array<{name: string, format: string, path: string, classes: string[]}>} datasets
   * @property {string} analysis the Parquet folder
   * @property {number} inputs
   * @property {number} ok
   * @property {number} errors
   * @property {Object<string, number>} errors_by_kind
   * @property {number} skipped_files
   * @property {Object<string, number>} skipped_by_reason
   * @property {number} seconds
   * @property {number} images_per_second
   * @property {Object<string, *>} attribution methods, target, map_encoding, map_max_side, seed, then
   *     each selected method's own entries
   * @property {Object<string, string>} config key path to value
   */

  /**
   * One class's counts in the analysis (Java: report.AnalysisSample.ClassStat).
   * @typedef {{name: string, count: number, labelled: number, correct: number, predicted: number}} ClassStat
   */

  /**
   * The run summary's data (Java: report.ReportData.Run).
   * @typedef {Object} RunData
   * @property {string} analysis_path
   * @property {string} model_id
   * @property {{classes: ClassStat[]}} stats the analysis's counts (total, ok, labelled, ... per class)
   * @property {?RunJson} run_json null when the analysis has no run.json
   */

  /**
   * A filter grid image (Java: modelviz.ModelVizIndex.FilterEntry, with its PNG inlined).
   * @typedef {Object} FilterData
   * @property {string} which 'first' or 'second'
   * @property {string} module
   * @property {string} parameter
   * @property {string} layout 'rgb' or 'by_input_channel'
   * @property {number[]} shape the weight's shape
   * @property {number} width
   * @property {number} height
   * @property {?string} png data URI
   */

  /**
   * A class-vector PCA view (Java: report.ReportData.ClassVectorView); x, y, explained,
   * trustworthiness and trust_k only when the view could be drawn, note otherwise.
   * @typedef {Object} ClassVectorView
   * @property {string} key
   * @property {string} title
   * @property {string} what
   * @property {string[]} classes
   * @property {number[]=} x
   * @property {number[]=} y
   * @property {number[]=} explained
   * @property {number=} trustworthiness
   * @property {number=} trust_k
   * @property {string=} note
   */

  /**
   * An input-maximisation target (Java: report.ReportData.MaximizationTarget, from the Parquet table).
   * @typedef {Object} MaximizationTarget
   * @property {string} kind 'class' or 'channel'
   * @property {number} index
   * @property {string} name
   * @property {string} status 'ok' when it finished
   * @property {?string} error
   * @property {number} steps
   * @property {number[]} objective per step
   * @property {number[]} tv_loss per step
   * @property {?number[]} target_prob per step (class targets)
   * @property {number[]} snapshot_steps
   * @property {?string} final_top1_name
   * @property {string[]} snapshots data URIs, one per snapshot step
   * @property {?string} final_png data URI
   */

  /**
   * The model sections' data (Java: report.ReportData.Model): model-viz.json
   * (modelviz.ModelVizIndex) read by report.ModelSection, its images inlined and the Parquet
   * tables it indexes added.
   * @typedef {Object} ModelData
   * @property {string} path the model-viz folder
   * @property {string} run_id
   * @property {string} finished_at
   * @property {string} model_id
   * @property {string} engine
   * @property {string} device
   * @property {{input: number[], layers: Object[]}} summary the model summary (modelviz.ModelSummary)
   * @property {?string} architecture_svg data URI
   * @property {FilterData[]} filters
   * @property {ClassVectorView[]} class_vectors
   * @property {{settings: ?Object, targets: MaximizationTarget[], total_targets: (number|undefined)}} maximization
   */

  /**
   * The embedding projector's data (Java: report.ReportData.Embedding).
   * @typedef {Object} EmbeddingData
   * @property {string[]} classes legend order
   * @property {number} available usable images with an embedding
   * @property {number} n points drawn
   * @property {number} dims
   * @property {number} pca_dims
   * @property {number[]} explained PCA's explained variance ratios
   * @property {string[]} skipped views left out, with why
   * @property {Array<{kind: string, perplexity: ?number, x: number[], y: number[], trustworthiness: ?number,
   *     trust_k: ?number, kl_divergence: ?number, seconds: number}>} views
   * @property {{id_prefix: string, id: string[], label: number[], predicted: number[], correct: boolean[],
   *     prob: number[]}} points prob is -1 where unknown
   * @property {?{side: number, columns: number, per_atlas: number, images: string[]}} atlas
   */

  /**
   * One gallery image (Java: report.ReportData.GalleryItem). Besides these, the perturbation-grid
   * method's name (GRID.name) holds its grids: Array<{window, stride, rows, cols, target_prob, drop}>.
   * @typedef {Object} GalleryItem
   * @property {string} class the gallery class it is shown under
   * @property {string} id
   * @property {?string} label
   * @property {?string} predicted
   * @property {?boolean} correct
   * @property {string[]} top_names
   * @property {number[]} top_probs
   * @property {?string} target the explained class
   * @property {?number} target_prob
   * @property {?string} image data URI of the input the model saw
   * @property {Object<string, {height: number, width: number, data: string}>} maps by map column, 0..255 base64
   */

  /**
   * @typedef {{classes: string[], items: GalleryItem[]}} GalleryData
   */

  /**
   * audit.json (Java: audit.AuditSummary). Besides these keys, each shortcut detector's section
   * sits under its name (region, counterfactual, statistics, strategies, slices, patch), its shape
   * declared in the detector's class.
   * @typedef {Object} AuditSummary
   * @property {string} audit_id
   * @property {string} model_id
   * @property {string} created_at
   * @property {string} analysis
   * @property {number} images
   * @property {string[]} classes class names by index
   * @property {Object<string, *>} settings
   * @property {string[]} methods methods whose maps were aggregated
   * @property {Array<{scope: string, class: number, method: string, images: number, map: number[]}>} attention
   * @property {VerdictEntry[]} findings
   * @property {SignalEntry[]} signals
   * @property {MistakesData} mistakes
   * @property {?QualityData} quality null when skipped
   */

  /**
   * A finding's figures (Java: audit.AuditSummary.FindingEntry); evidence is the detector's own.
   * @typedef {Object} FindingEntry
   * @property {number} class
   * @property {string} class_name
   * @property {string} kind the cue kind
   * @property {string} detector
   * @property {string} cue
   * @property {number} score
   * @property {?number[]} interval [lo, hi]
   * @property {string} statement
   * @property {number} suspect_count
   * @property {string[]} suspects
   * @property {Object} evidence
   */

  /**
   * A flagged class (Java: audit.AuditSummary.VerdictEntry): a FindingEntry with the confirming
   * detectors and their findings.
   * @typedef {FindingEntry & {detectors: string[], support: FindingEntry[]}} VerdictEntry
   */

  /**
   * A detector's signal without evidence (Java: audit.AuditSummary.SignalEntry).
   * @typedef {Object} SignalEntry
   * @property {number} class
   * @property {string} class_name
   * @property {string} kind
   * @property {string} detector
   * @property {string} cue
   * @property {number} score
   * @property {?number[]} interval
   * @property {string} statement
   * @property {number} suspect_count
   * @property {string[]} suspects
   * @property {boolean} confirmed
   */

  /**
   * A confident mistake or label issue (Java: audit.AuditSummary.Mistake).
   * @typedef {{id: string, true_class: ?number, predicted: ?number, suggested: ?number, confidence: number,
   *     label_prob: number, png: ?string}} MistakeEntry
   */

  /**
   * The mistakes section (Java: audit.AuditSummary.Mistakes).
   * @typedef {Object} MistakesData
   * @property {number[][]} confusion [true, predicted, images]
   * @property {Array<{class: number, images: number, correct: number, accuracy: ?number, mean_confidence: ?number,
   *     mean_entropy: ?number, threshold: ?number, predicted_images: number}>} classes
   * @property {number} labelled
   * @property {?number} accuracy
   * @property {MistakeEntry[]} confident
   * @property {MistakeEntry[]} label_issues
   * @property {number} label_issue_count
   */

  /**
   * The explanation-quality section (Java: audit.AuditSummary.Quality). Besides these keys, the
   * perturbation-grid method's steps key and its <name>_grid entry.
   * @typedef {Object} QualityData
   * @property {number} samples
   * @property {number} sample_offset
   * @property {number} measured_images
   * @property {string[]} ids
   * @property {string[]} errors
   * @property {string[]} methods
   * @property {{method: string, level: number, resamples: number, seed: number}} bootstrap
   * @property {number} seconds
   * @property {Object<string, number>} cpu_seconds
   * @property {Array<{method: string, step: number, layer: string, images: number, spearman_mean: ?number,
   *     spearman_std: ?number, spearman_lo: ?number, spearman_hi: ?number}>} randomization
   * @property {Array<{method: string, kind: string, images: number, auc_mean: ?number, auc_std: ?number,
   *     auc_lo: ?number, auc_hi: ?number, curve: number[]}>} faithfulness

  // ---------- audit.json's detector sections and evidence (Java: each detector's Section and
  // Evidence records in audit/*Detector.java; docs/parquet-schema.md) ----------
  /**
   * An image shown by a detector: id, labels, confidence and its preview (base64 PNG, null without one).
   * @typedef {{id: string, true_class: ?number, predicted: number, confidence: number, png: ?string}} AuditImage
   */

  /**
   * audit.json's region section (Java: RegionDetector.Section).
   * @typedef {Object} RegionSection
   * @property {number[]} flagged the flagged classes
   * @property {Array<{class: number, method: string, region: string, kind: string, box: number[], images: number,
   *     mass: number, background: number, lift: number, consistency: number, method_flagged: boolean,
   *     class_flagged: boolean}>} candidates each class and method's strongest region (RegionDetector.Candidate)
   * @property {Array<AuditImage & {lift: number, class: number, method: string, mass: number}>} examples
   * @property {Array<AuditImage & {lift: number, class: number, methods: number}>} suspects
   * @property {Object<string, number>} suspect_counts class index to suspects
   */

  /**
   * A region finding's evidence (Java: RegionDetector.Evidence); boxes in image fractions x0, y0, x1, y1.
   * @typedef {Object} RegionEvidence
   * @property {string} method
   * @property {string} region
   * @property {number[]} box
   * @property {number} mass
   * @property {number} background
   * @property {number} consistency
   * @property {Array<{id: string, png: ?string, caption: string, box: number[]}>} images
   */

  /**
   * One flip test (Java: CounterfactualDetector.TestEntry); partner and explained_by null when none.
   * @typedef {{class: number, edit: string, cue: string, direction: string, images: number, flips: number,
   *     rate: number, reference: number, difference: number, interval: number[], p_value: number,
   *     p_adjusted: number, mean_prob_change: ?number, partner: ?number, partner_share: ?number,
   *     flagged: boolean, explained_by: ?number, fragile: boolean}} FlipTestEntry
   */

  /**
   * One direction's values per class, null where not judged (Java: CounterfactualDetector.DirectionRates).
   * @typedef {{rate: Array<?number>, reference: Array<?number>, difference: Array<?number>,
   *     interval_lo: Array<?number>, interval_hi: Array<?number>, p_adjusted: Array<?number>,
   *     images: Array<?number>, flagged: Array<?boolean>, explained_by: Array<?number>,
   *     fragile: Array<?boolean>}} DirectionRates
   */

  /**
   * audit.json's counterfactual section (Java: CounterfactualDetector.Section): skipped, or the keys
   * from sampled_images on (CounterfactualDetector.Measured).
   * @typedef {Object} CounterfactualSection
   * @property {string[]} edits
   * @property {string[]} dropped_edits
   * @property {string=} skipped
   * @property {number=} sampled_images
   * @property {number=} images
   * @property {number=} measured_images
   * @property {string[]=} errors
   * @property {number=} seed
   * @property {number=} max_images
   * @property {number=} bootstrap
   * @property {number=} alpha
   * @property {number=} min_difference
   * @property {number=} min_images
   * @property {number=} tests_judged
   * @property {number[]=} flagged
   * @property {number=} fragile_kinds
   * @property {number[]=} fragile
   * @property {Array<{edit: string, cue: string, words: string, to: DirectionRates,
   *     away: DirectionRates}>=} rates
   */

  /**
   * A counterfactual finding's evidence (Java: CounterfactualDetector.Evidence, Pair).
   * @typedef {Object} CounterfactualEvidence
   * @property {string} edit
   * @property {string} direction 'to' or 'away'
   * @property {FlipTestEntry[]} flagged_tests
   * @property {FlipTestEntry[]} rates
   * @property {Array<{id: string, edit: string, true_class: ?number, predicted_before: number,
   *     prob_before: number, predicted_after: number, prob_after: number, prob_after_of_before: number,
   *     before_png: ?string, after_png: ?string}>} pairs
   * @property {number[]} odds_ratio value, lo, hi
   */

  /**
   * A judged (class, statistic) pair (Java: ImageStatisticsDetector.Judgement).
   * @typedef {{class: number, statistic: string, kind: string, images: number, others: number, auc: number,
   *     interval: number[], adjusted_interval: number[], p_adjusted: number, other_mistakes: number,
   *     control_auc: ?number, control_interval: ?number[], labelled_auc: ?number,
   *     flagged: boolean}} StatisticJudgement
   */

  /**
   * audit.json's statistics section (Java: ImageStatisticsDetector.Section): skipped (with tests 0
   * and no results), or rows, sampled_cells, tests, z, results and flagged (ImageStatisticsDetector.Measured).
   * @typedef {Object} StatisticsSection
   * @property {{statistics: string[], min_effect: number, alpha: number, min_images: number, bootstrap: number,
   *     seed: number, max_per_cell: number, examples: number}} settings
   * @property {string[]} statistics
   * @property {string[]} missing
   * @property {string=} skipped
   * @property {number=} rows
   * @property {number=} sampled_cells
   * @property {number} tests
   * @property {?number=} z null without tests
   * @property {StatisticJudgement[]} results
   * @property {Array<{class: number, kind: string, statistic: string}>=} flagged
   */

  /**
   * An image-statistics finding's evidence (Java: ImageStatisticsDetector.Evidence, Histogram, Example).
   * @typedef {Object} StatisticsEvidence
   * @property {string} statistic
   * @property {string} direction 'lower' or 'higher'
   * @property {number} auc
   * @property {number[]} interval
   * @property {number[]} adjusted_interval
   * @property {number} p_adjusted
   * @property {number} tests
   * @property {number} images
   * @property {number} others
   * @property {number} other_mistakes
   * @property {?number} control_auc
   * @property {?number[]} control_interval
   * @property {?number} labelled_auc
   * @property {?number[]} labelled_interval
   * @property {{edges: number[], predicted: number[], others: number[]}} histogram
   * @property {Array<{id: string, true_class: number, predicted: number, confidence: ?number, value: number,
   *     placement: number, png: ?string}>} examples
   */

  /**
   * One strategy (Java: StrategyDetector.StrategyEntry); marker, watermark, background null when not
   * judged; examples are images when the strategy is flagged, their ids otherwise.
   * @typedef {{class: number, strategy: number, of: number, images: number, share: number,
   *     other_class_images: number, map: number[], image_concentration: number, mean_concentration: number,
   *     agreement: number, peak_spread: number, entropy: number, border_mass: number, place: string,
   *     judged: boolean, marker: ?{lift: number, lo: number, hi: number},
   *     watermark: ?{lift: number, lo: number, hi: number}, background: ?{lift: number, lo: number, hi: number},
   *     kind: ?string, examples: Array<AuditImage|string>}} StrategyEntry
   */

  /**
   * audit.json's strategies section (Java: StrategyDetector.Section): skipped alone, or the rest.
   * @typedef {Object} StrategiesSection
   * @property {string=} skipped
   * @property {string=} method
   * @property {number=} grid
   * @property {number=} top_cells
   * @property {number=} seed
   * @property {number=} images
   * @property {Array<{class: number, images: number, strategies: number, eigenvalues: number[],
   *     interval_level: ?number, image_concentration: number, mean_concentration: number, agreement: number,
   *     peak_spread: number}>=} classes
   * @property {StrategyEntry[]=} strategies
   * @property {Array<AuditImage & {class: number, strategy: number}>=} suspects
   * @property {Array<{class: number, strategy: number, kind: string}>=} flagged
   */

  /**
   * A strategies finding's evidence (Java: StrategyDetector.Evidence).
   * @typedef {{method: string, share: number, images: number, strategies: StrategyEntry[]}} StrategiesEvidence
   */

  /**
   * One slice (Java: SliceDetector.SliceEntry, FlaggedSlice); kind, cue, cue_value and examples only when flagged.
   * @typedef {{class: number, slice: number, of: number, images: number, labelled: number,
   *     other_class_images: number, error_rate: ?number, interval: ?number[], rest_error_rate: ?number,
   *     p_value: ?number, p_adjusted: ?number, mean_confidence: ?number, error_confidence: ?number,
   *     label_mix: Object<string, number>, flagged: boolean, kind: (string|undefined), cue: (string|undefined),
   *     cue_value: (?number|undefined), examples: (AuditImage[]|undefined)}} SliceEntry
   */

  /**
   * audit.json's slices section (Java: SliceDetector.Section, Measured): skipped alone, or the rest.
   * @typedef {Object} SlicesSection
   * @property {string=} skipped
   * @property {number=} images
   * @property {number=} seed
   * @property {number=} tested
   * @property {string[]=} statistics
   * @property {?string=} attention_method
   * @property {SliceEntry[]=} slices
   * @property {Array<AuditImage & {class: number, slice: number}>=} suspects
   * @property {Array<{class: number, slice: number, kind: string}>=} flagged
   */

  /**
   * A slices finding's evidence (Java: SliceDetector.Evidence): its flagged slice.
   * @typedef {SliceEntry} SlicesEvidence
   */

  /**
   * audit.json's patch section (Java: PatchDetector.Section): the settings, then note alone without
   * perturbation grids, or images, note (only when none measured), judged, classes and flagged.
   * @typedef {Object} PatchSection
   * @property {number} min_drop
   * @property {number} max_window_px
   * @property {number} alpha
   * @property {number} min_effect
   * @property {number} min_rate
   * @property {number} seed
   * @property {number=} images
   * @property {string=} note
   * @property {number=} judged
   * @property {Array<{class: number, images: number, images_hinged: number, fooled: number, fooled_sampled: number,
   *     fooled_hinged: number, rate: ?number, reference: ?number, difference: ?number, lo: ?number, hi: ?number,
   *     p_adjusted: ?number, judged: boolean, flagged: boolean, kind: (string|undefined),
   *     fixed_share: (number|undefined), places: (number|undefined), window: (number|undefined)}>=} classes
   * @property {Array<{class: number, kind: string}>=} flagged
   */

  /**
   * A patch finding's evidence (Java: PatchDetector.Evidence, Image); boxes in image fractions.
   * @typedef {Object} PatchEvidence
   * @property {number} rate
   * @property {number} reference
   * @property {number} fixed_share
   * @property {number} places
   * @property {number} window
   * @property {number[]} where
   * @property {Array<{id: string, png: ?string, caption: string, box: number[]}>} images
   */

  // ---------- run summary ----------
  /**
   * @param {HTMLElement} root
   * @param {RunData} run
   */
  function runSection(root, run) {
    var classes = run.stats.classes.filter(function (c) { return c.labelled > 0; });
    if (!classes.length) {
      note($('class-accuracy'), 'No labelled images: accuracy per class is not available.');
      return;
    }
    chartOn('class-accuracy').setOption({
      animation: false,
      grid: { left: 40, right: 10, top: 10, bottom: 70 },
      tooltip: { trigger: 'axis', renderMode: 'richText', confine: true },
      xAxis: { type: 'category', data: classes.map(function (c) { return c.name; }), axisLabel: { rotate: 40, interval: 0 } },
      yAxis: { type: 'value', max: 100, name: '%' },
      series: [{ type: 'bar', name: 'top-1 accuracy %',
        data: classes.map(function (c) { return +(100 * c.correct / c.labelled).toFixed(2); }) }]
    });
  }

  // ---------- model ----------
  /**
   * @param {HTMLElement} root
   * @param {?ModelData} model null without a model-viz output
   */
  function modelSection(root, model) {
    if (!model) return;
    if (model.architecture_svg) {
      var fig = $('architecture');
      fig.appendChild(el('img', { src: model.architecture_svg, alt: 'architecture diagram' }));
    }
  }

  /**
   * @param {HTMLElement} root
   * @param {?ModelData} model
   */
  function filtersSection(root, model) {
    var box = $('filter-grids');
    if (!model) { note(box, 'No model-viz output: run convlens model-viz to draw the filters.'); return; }
    if (!model.filters.length) { note(box, 'The model has no 4-D convolution weights to draw.'); return; }
    model.filters.forEach(function (/** FilterData */ f) {
      var what = f.which === 'first' ? 'First layer' : 'Second layer';
      var img = el('img', { src: f.png, alt: what + ' filters' });
      img.width = Math.min(520, f.width * (f.width < 200 ? 4 : 1));
      box.appendChild(el('figure', {}, [img, el('figcaption', {
        text: what + ': ' + f.module + ' [' + (f.shape || []).join('×') + '], ' +
          (f.layout === 'rgb' ? 'one RGB tile per filter' : 'grouped by input channel') })]));
    });
  }

  // ---------- class vectors ----------
  /**
   * @param {HTMLElement} root
   * @param {?ModelData} model
   */
  function classVectorSection(root, model) {
    var select = $('class-vector-kind');
    /** @type {ClassVectorView[]} */
    var views = model && model.class_vectors ? model.class_vectors : [];
    if (!views.length) { note(root, 'No class vectors: run convlens model-viz after analyze.'); return; }
    views.forEach(function (v, i) { option(select, i, v.title); });
    function draw() {
      var v = views[+select.value];
      $('class-vector-note').textContent = v.x ? (v.what + '. PCA explains ' +
        (100 * (v.explained[0] + v.explained[1])).toFixed(1) + '% of the variance; trustworthiness T(' +
        v.trust_k + ') = ' + fmt(v.trustworthiness, 3) + '.') : 'Not available: ' + v.note;
      chartOn('class-vector-chart').setOption({
        animation: false,
        tooltip: RICH_TOOLTIP,
        grid: { left: 50, right: 30, top: 20, bottom: 40 },
        xAxis: { type: 'value', scale: true, name: 'PC1', nameLocation: 'middle', nameGap: 25 },
        yAxis: { type: 'value', scale: true, name: 'PC2', nameLocation: 'middle', nameGap: 35 },
        series: [{ type: 'scatter', symbolSize: 12,
          data: (v.x || []).map(function (x, i) {
            return { value: [x, v.y[i]], name: v.classes[i], itemStyle: { color: colorOf(i) } };
          }),
          label: { show: true, position: 'right', formatter: '{b}' } }]
      });
    }
    select.addEventListener('change', draw);
    draw();
  }

  // ---------- embeddings ----------
  var atlasImages = [];

  /** A point's image id: ids are stored without their common prefix. */
  function pointId(i) { return (D.embedding.points.id_prefix || '') + D.embedding.points.id[i]; }
  window.convlens.pointId = pointId;

  function drawThumb(canvas, i) {
    var a = D.embedding.atlas, ctx = canvas.getContext('2d');
    canvas.width = 96; canvas.height = 96;
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = '#eee'; ctx.fillRect(0, 0, 96, 96);
    if (!a) return;
    var sheet = atlasImages[Math.floor(i / a.per_atlas)];
    if (!sheet) return;
    var t = i % a.per_atlas;
    ctx.drawImage(sheet, (t % a.columns) * a.side, Math.floor(t / a.columns) * a.side, a.side, a.side, 0, 0, 96, 96);
  }

  function pointCard(i, extra) {
    var E = D.embedding, p = E.points;
    var canvas = el('canvas');
    drawThumb(canvas, i);
    var label = p.label[i] >= 0 ? E.classes[p.label[i]] : 'unlabelled';
    var pred = p.predicted[i] >= 0 ? E.classes[p.predicted[i]] : '?';
    var children = [canvas,
      el('div', { cls: 'hover-id', text: pointId(i) }),
      el('div', { text: 'label: ' + label }),
      el('div', { cls: p.correct[i] ? 'ok' : 'wrong',
        text: 'predicted: ' + pred + (p.prob[i] >= 0 ? ' (p = ' + p.prob[i].toFixed(3) + ')' : '') })];
    return children.concat(extra || []);
  }

  function embeddingSection(root) {
    var E = D.embedding;
    var noteEl = $('embedding-note');
    var sel = $('perplexity');
    var pca = E.views.filter(function (v) { return v.kind === 'pca'; })[0];
    var tsnes = E.views.filter(function (v) { return v.kind === 'tsne'; });
    noteEl.textContent = E.n.toLocaleString('en') + ' of ' + E.available.toLocaleString('en') +
      ' usable images (' + E.dims + '-d embeddings, PCA to ' + E.pca_dims + ' before t-SNE)' +
      (E.skipped.length ? '. ' + E.skipped.join('; ') : '');
    if (!pca) { note(root, 'No projection: ' + E.skipped.join('; ')); return; }
    tsnes.forEach(function (v, i) { option(sel, i, String(v.perplexity)); });
    var def = tsnes.findIndex(function (v) { return v.perplexity === 30; });
    sel.value = String(def >= 0 ? def : 0);
    if (E.atlas) {
      E.atlas.images.forEach(function (src, k) {
        loadImage(src).then(function (img) { atlasImages[k] = img; });
      });
    }
    var pinned = [];
    var seriesIndex = {}; // chart id -> per series, point index of each data item
    /** The point (index into embedding.points) drawn as item dataIndex of a chart's series. */
    window.convlens.pointAt = function (chartId, series, dataIndex) {
      var idx = seriesIndex[chartId] && seriesIndex[chartId][series];
      return idx && dataIndex < idx.length ? idx[dataIndex] : -1;
    };

    function groups(colorBy) {
      var p = E.points, n = E.n, g = {}, order = [];
      for (var i = 0; i < n; i++) {
        var key, name, color;
        if (colorBy === 'correct') {
          key = p.correct[i] ? 0 : 1; name = p.correct[i] ? 'correct' : 'wrong / unlabelled';
          color = p.correct[i] ? '#3ba272' : '#d9534f';
        } else {
          var c = colorBy === 'label' ? p.label[i] : p.predicted[i];
          key = c; name = c >= 0 ? E.classes[c] : (colorBy === 'label' ? 'unlabelled' : 'unknown');
          color = colorOf(c);
        }
        if (!g.hasOwnProperty(key)) { g[key] = { name: name, color: color, idx: [] }; order.push(key); }
        g[key].idx.push(i);
      }
      order.sort(function (a, b) { return a - b; });
      return order.map(function (k) { return g[k]; });
    }

    function options(id, view, colorBy) {
      var gs = groups(colorBy), large = E.n > 2000, size = E.n > 20000 ? 2.5 : (E.n > 2000 ? 4 : 7);
      seriesIndex[id] = gs.map(function (g) { return g.idx; });
      var series = gs.map(function (g) {
        return {
          type: 'scatter', name: g.name, symbolSize: size, large: large, largeThreshold: 2000,
          itemStyle: { color: g.color, opacity: 0.8 },
          emphasis: { scale: 2 },
          data: g.idx.map(function (i) { return [view.x[i], view.y[i]]; })
        };
      });
      series.push({
        type: 'scatter', name: 'pinned', symbol: 'pin', symbolSize: 22, z: 10, silent: true,
        itemStyle: { color: '#111' },
        data: pinned.map(function (i) { return [view.x[i], view.y[i]]; })
      });
      return {
        animation: false,
        legend: { type: 'scroll', bottom: 0, data: gs.map(function (g) { return g.name; }) },
        grid: { left: 45, right: 15, top: 15, bottom: 55 },
        xAxis: { type: 'value', scale: true, splitLine: { lineStyle: { color: '#eee' } } },
        yAxis: { type: 'value', scale: true, splitLine: { lineStyle: { color: '#eee' } } },
        dataZoom: [
          { type: 'inside', xAxisIndex: 0, filterMode: 'none' },
          { type: 'inside', yAxisIndex: 0, filterMode: 'none' }],
        series: series
      };
    }

    var card = $('hover-card');
    function hover(id) {
      return function (params) {
        if (params.componentType !== 'series' || params.seriesName === 'pinned') return;
        var idx = seriesIndex[id][params.seriesIndex];
        if (!idx || params.dataIndex == null || params.dataIndex >= idx.length) return;
        var i = idx[params.dataIndex];
        clear(card);
        pointCard(i).forEach(function (c) { card.appendChild(c); });
        card.hidden = false;
        var ev = params.event && params.event.event;
        if (ev) {
          card.style.left = Math.min(window.innerWidth - 270, ev.clientX + 16) + 'px';
          card.style.top = Math.min(window.innerHeight - 220, ev.clientY + 16) + 'px';
        }
        card.setAttribute('data-point', String(i));
      };
    }
    function hide() { card.hidden = true; }

    function drawPinned() {
      var box = $('pinned');
      clear(box);
      if (!pinned.length) { box.appendChild(el('p', { cls: 'note', text: 'Click a point to pin it here.' })); }
      pinned.forEach(function (i) {
        var unpin = el('button', { type: 'button', text: '×', title: 'unpin' });
        unpin.addEventListener('click', function () { pinned.splice(pinned.indexOf(i), 1); redraw(); });
        box.appendChild(el('div', { cls: 'pin' }, pointCard(i, [unpin])));
      });
    }

    function click(id) {
      return function (params) {
        if (params.componentType !== 'series' || params.seriesName === 'pinned') return;
        var idx = seriesIndex[id][params.seriesIndex];
        if (!idx) return;
        var i = idx[params.dataIndex];
        if (pinned.indexOf(i) < 0) pinned.push(i);
        redraw();
      };
    }

    var pcaChart = chartOn('scatter-pca'), tsneChart = tsnes.length ? chartOn('scatter-tsne') : null;
    [['scatter-pca', pcaChart], ['scatter-tsne', tsneChart]].forEach(function (pair) {
      if (!pair[1]) return;
      pair[1].on('mouseover', hover(pair[0]));
      pair[1].on('mousemove', hover(pair[0]));
      pair[1].on('mouseout', hide);
      pair[1].on('globalout', hide);
      pair[1].on('click', click(pair[0]));
    });
    if (!tsnes.length) note($('scatter-tsne'), 'No t-SNE view: ' + E.skipped.join('; '));

    function title(view) {
      var t = view.kind === 'pca'
        ? 'PCA (' + (100 * (E.explained[0] + (E.explained[1] || 0))).toFixed(1) + '% of variance)'
        : 't-SNE, perplexity ' + view.perplexity + (view.kl_divergence != null ? ', KL ' + view.kl_divergence.toFixed(3) : '');
      return t + ' · trustworthiness T(' + view.trust_k + ') = ' + fmt(view.trustworthiness, 4);
    }

    // Keeps each chart's zoom when only the data changes.
    function zoomOf(c) {
      var dz = c.getOption() && c.getOption().dataZoom;
      return dz ? dz.map(function (z) { return { start: z.start, end: z.end }; }) : null;
    }
    function render(c, id, view, keepZoom) {
      var zoom = keepZoom ? zoomOf(c) : null;
      var o = options(id, view, $('color-by').value);
      if (zoom) o.dataZoom.forEach(function (z, k) { z.start = zoom[k].start; z.end = zoom[k].end; });
      c.setOption(o, { notMerge: true });
    }
    function redraw() {
      render(pcaChart, 'scatter-pca', pca, true);
      $('pca-title').textContent = title(pca);
      if (tsneChart) {
        var v = tsnes[+sel.value];
        render(tsneChart, 'scatter-tsne', v, true);
        $('tsne-title').textContent = title(v);
        $('scatter-tsne').setAttribute('data-perplexity', String(v.perplexity));
      }
      drawPinned();
    }
    sel.addEventListener('change', function () {
      var v = tsnes[+sel.value];
      render(tsneChart, 'scatter-tsne', v, false);
      $('tsne-title').textContent = title(v);
      $('scatter-tsne').setAttribute('data-perplexity', String(v.perplexity));
    });
    $('color-by').addEventListener('change', redraw);
    $('reset-zoom').addEventListener('click', function () {
      [pcaChart, tsneChart].forEach(function (c) {
        if (c) c.dispatchAction({ type: 'dataZoom', start: 0, end: 100 });
      });
    });
    redraw();
  }

  // ---------- galleries ----------
  var G = D.gallery;
  // Every method's title and what the report shows of it come from the data (the method registry):
  // MAP_TITLES for the overlaid map columns, METHOD_TITLES for audit tables, GRID for the grid view.
  var MAP_TITLES = {}, MAP_METHOD = {}, METHOD_TITLES = { random: 'random order' }, GRID = { name: '', title: '' };
  (D.methods || []).forEach(function (m) {
    METHOD_TITLES[m.name] = m.title;
    if (m.map) { MAP_TITLES[m.map] = m.title; MAP_METHOD[m.map] = m.name; }
    if (m.grid) GRID = m;
  });
  // Each checked method's sanity verdict (audit.json's quality.sanity, docs/audit.md): every map of
  // a method that fails a check carries a visible mark wherever the report draws it.
  var SANITY = {};
  ((D.audit && D.audit.quality && D.audit.quality.sanity) || []).forEach(function (v) { SANITY[v.method] = v; });
  /** The mark of method m's maps: '' unless it failed a sanity check. */
  function sanityMark(m) {
    var v = SANITY[m];
    return v && v.verdict === 'fail' ? '⚠ fails sanity check: ' + v.failed.join(', ') : '';
  }
  /** A map's caption: its text, and for a method that failed a sanity check the mark. */
  function mapCaption(m, text) {
    var mark = sanityMark(m);
    var d = el('div', {}, [el('span', { text: text }), mark ? el('div', { cls: 'sanity-fail', text: mark }) : null]);
    if (SANITY[m]) d.setAttribute('data-sanity', SANITY[m].verdict);
    return d;
  }
  /** A method's title, followed by its mark when it failed a sanity check. */
  function titleWithMark(m) {
    var mark = sanityMark(m);
    return (METHOD_TITLES[m] || m) + (mark ? ' ' + mark : '');
  }
  function itemsOf(cls) { return G.items.filter(function (g) { return g.class === cls; }); }

  function classSelect(select, onChange) {
    G.classes.forEach(function (c) { option(select, c, c + ' (' + itemsOf(c).length + ')'); });
    select.addEventListener('change', function () { onChange(select.value); });
    if (G.classes.length) onChange(G.classes[0]);
  }

  var galleryCharts = [];
  function gallerySection(root) {
    if (!G.items.length) { note(root, 'No images sampled (report.gallery.per-class = 0, or no usable rows).'); return; }
    var box = $('gallery-cards');
    classSelect($('gallery-class'), function (cls) {
      galleryCharts.forEach(function (c) { c.dispose(); });
      galleryCharts = [];
      clear(box);
      itemsOf(cls).forEach(function (g) {
        var bars = el('div', { cls: 'bars' });
        var img = g.image ? el('img', { src: g.image, alt: g.id }) : el('div', { cls: 'note', text: 'no preview' });
        var ok = g.correct === true ? 'ok' : (g.correct === false ? 'wrong' : '');
        box.appendChild(el('div', { cls: 'gallery-card' }, [img, bars,
          el('div', { cls: 'meta' }, [el('div', { text: g.id }),
            el('div', { cls: ok, text: 'label: ' + (g.label || 'none') + ' · predicted: ' + g.predicted })])]));
        var c = echarts.init(bars, null, { renderer: 'canvas' });
        galleryCharts.push(c);
        var names = g.top_names.slice().reverse(), probs = g.top_probs.slice().reverse();
        c.setOption({
          animation: false,
          grid: { left: 110, right: 40, top: 4, bottom: 4 },
          tooltip: RICH_TOOLTIP,
          xAxis: { type: 'value', max: 1, show: false },
          yAxis: { type: 'category', data: names, axisLabel: { width: 100, overflow: 'truncate' } },
          series: [{ type: 'bar', data: probs.map(function (p, k) {
            return { value: +p.toFixed(4), itemStyle: { color: names[k] === g.label ? '#3ba272' : '#5470c6' } };
          }), label: { show: true, position: 'right', formatter: function (x) { return (x.value * 100).toFixed(1) + '%'; } } }]
        });
      });
      $('gallery-note').textContent = itemsOf(cls).length + ' sampled image(s); green bar = the true label.';
      box.setAttribute('data-class', cls);
    });
  }

  function inputSize(g) {
    var s = D.model && D.model.summary && D.model.summary.input;
    if (s && s.length === 3) return [s[1], s[2]];
    var h = 0, w = 0;
    (g[GRID.name] || []).forEach(function (o) {
      h = Math.max(h, (o.rows - 1) * o.stride + o.window);
      w = Math.max(w, (o.cols - 1) * o.stride + o.window);
    });
    return [h, w];
  }

  // ---------- the perturbation grid ----------
  function gridSection(root) {
    var items = G.items.filter(function (g) { return g[GRID.name] && g[GRID.name].length; });
    if (!items.length) { note(root, 'No ' + GRID.title + ' grids: add ' + GRID.name + ' to analyze.methods.'); return; }
    if (sanityMark(GRID.name)) {
      var heading = root.querySelector('h2'), mark = mapCaption(GRID.name, GRID.title + ':');
      if (heading) heading.parentNode.insertBefore(mark, heading.nextSibling); else root.insertBefore(mark, root.firstChild);
    }
    // The section's elements are named after the grid method (the template does the same).
    var imgSel = $(GRID.name + '-image'), patchSel = $('patch-size');
    var canvas = $(GRID.name + '-canvas'), original = $(GRID.name + '-original'), readout = $(GRID.name + '-readout');
    items.forEach(function (g, i) { option(imgSel, i, g.class + ' · ' + g.id); });
    var current = null, image = null, grid = null, size = null;

    function fillPatches() {
      var keep = patchSel.value;
      clear(patchSel);
      current[GRID.name].forEach(function (o, k) { option(patchSel, k, o.window + ' px (stride ' + o.stride + ')'); });
      if (keep && +keep < current[GRID.name].length) patchSel.value = keep;
    }

    function drawHeat() {
      grid = current[GRID.name][+patchSel.value];
      size = inputSize(current);
      var H = size[0], W = size[1], sum = new Float32Array(H * W), cnt = new Float32Array(H * W), max = 0;
      for (var r = 0; r < grid.rows; r++) {
        for (var c = 0; c < grid.cols; c++) {
          var d = grid.drop[r * grid.cols + c];
          for (var y = r * grid.stride; y < Math.min(H, r * grid.stride + grid.window); y++) {
            for (var x = c * grid.stride; x < Math.min(W, c * grid.stride + grid.window); x++) {
              sum[y * W + x] += d; cnt[y * W + x] += 1;
            }
          }
        }
      }
      for (var i = 0; i < sum.length; i++) { if (cnt[i]) sum[i] /= cnt[i]; max = Math.max(max, Math.abs(sum[i])); }
      var bytes = new Uint8Array(H * W);
      for (var j = 0; j < sum.length; j++) bytes[j] = max > 0 ? Math.round(255 * Math.max(0, sum[j]) / max) : 0;
      var b64 = btoa(String.fromCharCode.apply(null, Array.prototype.slice.call(bytes)));
      drawOverlay(canvas, image, { width: W, height: H, data: b64 }, 0.65);
      drawOverlay(original, image, null, 0);
      canvas.setAttribute('data-window', String(grid.window));
      readout.textContent = 'Target ' + current.target + ': p = ' + fmt(current.target_prob, 3) +
        ' unoccluded. Largest drop with a ' + grid.window + ' px patch: ' + fmt(Math.max.apply(null, grid.drop), 3) + '.';
    }

    function pick() {
      current = items[+imgSel.value];
      fillPatches();
      var ready = current.image ? loadImage(current.image) : Promise.resolve(null);
      ready.then(function (img) { image = img; drawHeat(); });
    }

    function cellAt(ev) {
      var rect = canvas.getBoundingClientRect();
      var x = (ev.clientX - rect.left) / rect.width * size[1], y = (ev.clientY - rect.top) / rect.height * size[0];
      var r = Math.round((y - grid.window / 2) / grid.stride), c = Math.round((x - grid.window / 2) / grid.stride);
      return [Math.max(0, Math.min(grid.rows - 1, r)), Math.max(0, Math.min(grid.cols - 1, c))];
    }

    canvas.addEventListener('mousemove', function (ev) {
      if (!grid) return;
      var rc = cellAt(ev), k = rc[0] * grid.cols + rc[1];
      var sx = canvas.width / size[1], sy = canvas.height / size[0];
      drawOverlay(original, image, null, 0);
      var ctx = original.getContext('2d');
      ctx.fillStyle = 'rgb(128,128,128)';
      ctx.fillRect(rc[1] * grid.stride * sx, rc[0] * grid.stride * sy,
        Math.min(grid.window, size[1] - rc[1] * grid.stride) * sx, Math.min(grid.window, size[0] - rc[0] * grid.stride) * sy);
      readout.textContent = 'Patch ' + grid.window + ' px at row ' + rc[0] * grid.stride + ', column ' +
        rc[1] * grid.stride + ': p(' + current.target + ') = ' + grid.target_prob[k].toFixed(4) +
        ' (unoccluded ' + fmt(current.target_prob, 4) + ', drop ' + grid.drop[k].toFixed(4) + ')';
      readout.setAttribute('data-cell', String(k));
    });
    canvas.addEventListener('mouseleave', function () { if (grid) drawHeat(); });
    imgSel.addEventListener('change', pick);
    patchSel.addEventListener('change', drawHeat);
    pick();
  }

  // ---------- map overlays ----------
  function attributionSection(root) {
    var withMaps = G.items.filter(function (g) { return Object.keys(g.maps).length; });
    if (!withMaps.length) {
      note(root, 'No attribution maps: add ' + Object.keys(MAP_TITLES).join(', ') + ' to analyze.methods.');
      return;
    }
    var box = $('attribution-rows');
    classSelect($('attribution-class'), function (cls) {
      clear(box);
      itemsOf(cls).forEach(function (g) {
        var row = el('div', { cls: 'row' });
        row.appendChild(el('div', { cls: 'cell', title: g.id }, [g.image ? el('img', { src: g.image, alt: g.id }) : null,
          el('div', { text: 'original' })]));
        var ready = g.image ? loadImage(g.image) : Promise.resolve(null);
        Object.keys(MAP_TITLES).forEach(function (m) {
          if (!g.maps[m]) return;
          var c = el('canvas', { width: 112, height: 112 });
          c.setAttribute('data-method', m);
          row.appendChild(el('div', { cls: 'cell' }, [c, mapCaption(MAP_METHOD[m], MAP_TITLES[m] + ' for ' + g.target)]));
          ready.then(function (img) { drawOverlay(c, img, g.maps[m], 0.6); });
        });
        row.appendChild(el('div', { cls: 'note', text: g.id + ' · label ' + (g.label || 'none') +
          ' · predicted ' + g.predicted + (g.target_prob != null ? ' (p = ' + g.target_prob.toFixed(3) + ')' : '') }));
        box.appendChild(row);
      });
    });
  }

  // ---------- input maximisation ----------
  /**
   * @param {HTMLElement} root
   * @param {?ModelData} model
   */
  function maximizationSection(root, model) {
    var M = model && model.maximization;
    /** @type {MaximizationTarget[]} */
    var targets = M ? M.targets.filter(function (t) { return t.status === 'ok'; }) : [];
    if (!targets.length) { note(root, model ? 'No input-maximisation targets were computed.' : 'No model-viz output: run convlens model-viz.'); return; }
    var sel = $('max-target'), slider = $('max-step'), play = $('max-play'), canvas = $('max-canvas');
    targets.forEach(function (t, i) { option(sel, i, t.name + (t.kind === 'channel' ? '' : ' (class ' + t.index + ')')); });
    var frames = [], t = null, timer = null;

    function show(k) {
      slider.value = String(k);
      var ctx = canvas.getContext('2d');
      ctx.imageSmoothingEnabled = false;
      if (frames[k]) ctx.drawImage(frames[k], 0, 0, canvas.width, canvas.height);
      var step = t.snapshot_steps[k], i = Math.max(0, Math.min(t.steps - 1, step - 1));
      $('max-readout').textContent = 'step ' + step + ' of ' + t.steps + ': score ' + fmt(t.objective[i], 3) +
        (t.target_prob ? ', p = ' + fmt(t.target_prob[i], 4) : '') + ', TV ' + fmt(t.tv_loss[i], 4) +
        (k === frames.length - 1 && t.final_top1_name ? ' · final top-1: ' + t.final_top1_name : '');
      canvas.setAttribute('data-frame', String(k));
    }
    function stop() { if (timer) { clearInterval(timer); timer = null; } play.textContent = 'Play'; }
    function pick() {
      stop();
      t = targets[+sel.value];
      slider.max = String(Math.max(0, t.snapshots.length - 1));
      Promise.all(t.snapshots.map(loadImage)).then(function (imgs) { frames = imgs; show(frames.length - 1); });
      var steps = t.objective.map(function (_, i) { return i + 1; });
      var series = [
        { type: 'line', name: 'class score', data: t.objective, showSymbol: false, yAxisIndex: 0 },
        { type: 'line', name: 'TV loss', data: t.tv_loss, showSymbol: false, yAxisIndex: 1 }];
      if (t.target_prob) series.push({ type: 'line', name: 'probability', data: t.target_prob, showSymbol: false, yAxisIndex: 2 });
      chartOn('max-curves').setOption({
        animation: false,
        legend: { top: 0 },
        tooltip: { trigger: 'axis', renderMode: 'richText', confine: true },
        grid: { left: 50, right: 110, top: 30, bottom: 35 },
        xAxis: { type: 'category', data: steps, name: 'step', nameLocation: 'middle', nameGap: 25 },
        yAxis: [{ type: 'value', name: 'score', scale: true }, { type: 'value', name: 'TV', scale: true },
          { type: 'value', name: 'p', min: 0, max: 1, offset: 50 }],
        series: series
      });
    }
    slider.addEventListener('input', function () { stop(); show(+slider.value); });
    play.addEventListener('click', function () {
      if (timer) { stop(); return; }
      play.textContent = 'Pause';
      var k = +slider.value >= frames.length - 1 ? 0 : +slider.value;
      timer = setInterval(function () {
        show(k);
        k++;
        if (k >= frames.length) stop();
      }, 180);
    });
    sel.addEventListener('change', pick);
    pick();
  }

  // ---------- audit ----------
  function pngUri(b64) { return b64 ? 'data:image/png;base64,' + b64 : null; }

  /** A grid×grid attention map as a heat image on a canvas, scaled to its own maximum. */
  function drawGrid(canvas, map) {
    var g = Math.round(Math.sqrt(map.length)), max = 0;
    map.forEach(function (v) { if (v > max) max = v; });
    var off = document.createElement('canvas');
    off.width = g; off.height = g;
    var octx = off.getContext('2d'), data = octx.createImageData(g, g);
    for (var i = 0; i < map.length; i++) {
      var c = heat(max > 0 ? map[i] / max : 0);
      data.data[4 * i] = c[0]; data.data[4 * i + 1] = c[1]; data.data[4 * i + 2] = c[2]; data.data[4 * i + 3] = 255;
    }
    octx.putImageData(data, 0, 0);
    var ctx = canvas.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
  }

  /** An image with a region (box in image fractions) outlined. */
  function thumbCell(b64, caption, box, title) {
    var c = el('canvas', { width: 112, height: 112 });
    var cell = el('div', { cls: 'cell', title: title || '' }, [c, el('div', { text: caption })]);
    var uri = pngUri(b64);
    (uri ? loadImage(uri) : Promise.resolve(null)).then(function (img) {
      var ctx = c.getContext('2d');
      ctx.imageSmoothingEnabled = false;
      if (img) ctx.drawImage(img, 0, 0, c.width, c.height);
      else { ctx.fillStyle = '#eee'; ctx.fillRect(0, 0, c.width, c.height); }
      if (box) {
        ctx.strokeStyle = '#00e5ff'; ctx.lineWidth = 2;
        ctx.strokeRect(box[0] * c.width, box[1] * c.height, (box[2] - box[0]) * c.width, (box[3] - box[1]) * c.height);
      }
    });
    return cell;
  }

  function table(head, rows, rowClass) {
    var t = el('table', { cls: 'grid' });
    t.appendChild(el('tr', null, head.map(function (h) { return el('th', { text: h }); })));
    rows.forEach(function (r, i) {
      var tr = el('tr', { cls: rowClass ? rowClass(i) : '' }, r.map(function (v) {
        var num = typeof v === 'number';
        return el('td', { cls: num ? 'num' : '', text: v === null || v === undefined ? 'n/a' : String(v) });
      }));
      t.appendChild(tr);
    });
    return t;
  }

  /**
   * One card per finding (a class that several detectors signal): the cue in words, the lead
   * detector's statement, score and interval and evidence, then each supporting signal with its
   * own evidence: image pairs (before / after an edit), images (examples, suspects; a box marks a
   * region), a distribution (histogram per group) or a mean map.
   */
  function findingCards(root, findings, cname) {
    if (!findings.length) { note(root, 'No class is signalled by enough detectors: no shortcut found.'); return; }
    findings.forEach(function (f) {
      var card = el('div', { cls: 'finding' });
      card.setAttribute('data-class', cname(f['class']));
      card.setAttribute('data-kind', f.kind);
      card.setAttribute('data-detector', f.detector);
      card.setAttribute('data-detectors', (f.detectors || [f.detector]).join(','));
      card.appendChild(el('h4', { text: cname(f['class']) + ' — ' + f.kind + ' (signalled by ' +
        (f.detectors || [f.detector]).join(', ') + ')' }));
      signal(card, f, cname, true);
      (f.support || []).forEach(function (g) {
        var sub = el('div', { cls: 'support' });
        sub.setAttribute('data-detector', g.detector);
        sub.appendChild(el('h5', { text: g.detector + ': ' + g.kind + ' (' + g.cue + ')' }));
        signal(sub, g, cname, false);
        card.appendChild(sub);
      });
      root.appendChild(card);
    });
  }

  /** One detector's signal inside a finding card: its statement, figures and evidence. */
  function signal(card, f, cname, lead) {
    card.appendChild(el('p', { text: f.statement }));
    card.appendChild(el('div', { cls: 'note', text: (lead ? f.detector + ': ' + f.cue + ' · ' : '') +
      'score ' + f.score.toFixed(3) +
      (f.interval ? ' [' + f.interval[0].toFixed(3) + ', ' + f.interval[1].toFixed(3) + '] (95% interval)' : '') +
      ' · ' + f.suspect_count + ' suspect image(s)' }));
    var ev = f.evidence || {};
    if (ev.pairs && ev.pairs.length) {
      var pairs = el('div', { cls: 'thumbs' });
      ev.pairs.forEach(function (p) {
        var caption = p.caption || ((p.edit || '') + (p.predicted_before !== undefined ? ': ' +
          cname(p.predicted_before) + ' → ' + cname(p.predicted_after) : ''));
        pairs.appendChild(thumbCell(p.before || p.before_png, 'before · ' + caption, null, p.id));
        pairs.appendChild(thumbCell(p.after || p.after_png, 'after · ' + caption, null, p.id));
      });
      card.appendChild(pairs);
    }
    var maps = [];
    if (Array.isArray(ev.map)) maps.push({ map: ev.map, caption: 'mean map' });
    var images = [];
    function addImages(list) {
      if (Array.isArray(list)) list.forEach(function (i) { if (i && typeof i === 'object' && (i.png || i.input_png)) images.push(i); });
    }
    addImages(ev.images); addImages(ev.examples); addImages(ev.suspects);
    (Array.isArray(ev.strategies) ? ev.strategies : []).forEach(function (t) {
      if (Array.isArray(t.map)) maps.push({ map: t.map, caption: 'strategy ' + t.strategy + ' of ' + t.of + ' (' + t.images + ' images)' });
      addImages(t.examples); addImages(t.suspects);
    });
    if (maps.length) {
      var mapRow = el('div', { cls: 'thumbs' });
      maps.forEach(function (m) {
        var c = el('canvas', { width: 112, height: 112 });
        drawGrid(c, m.map);
        mapRow.appendChild(el('div', { cls: 'cell' }, [c, el('div', { text: m.caption })]));
      });
      card.appendChild(mapRow);
    }
    var h = ev.histogram;
    if (h && !h.groups && Array.isArray(h.predicted) && Array.isArray(h.others)) {
      h = { statistic: ev.statistic || h.statistic, edges: h.edges, groups: [
        { name: 'other classes\' images predicted as ' + cname(f['class']), counts: h.predicted },
        { name: 'other classes\' images not predicted as it', counts: h.others }] };
    }
    if (h && h.groups) card.appendChild(histogram(h));
    if (images.length) {
      var seen = {}, imgs = el('div', { cls: 'thumbs' });
      images.forEach(function (i) {
        if (seen[i.id] || Object.keys(seen).length >= 12) return;
        seen[i.id] = true;
        var caption = i.caption || ((i.true_class !== undefined && i.true_class !== null ? cname(i.true_class) + ' → ' : '') +
          cname(i.predicted !== undefined ? i.predicted : f['class']) +
          (typeof i.confidence === 'number' ? ' (' + (100 * i.confidence).toFixed(0) + '%)' : ''));
        imgs.appendChild(thumbCell(i.png || i.input_png, caption, i.box || null, i.id));
      });
      card.appendChild(imgs);
    }
  }

  /** The signals no second detector confirmed: a table, for a reviewer to judge. */
  function unconfirmedSignals(root, signals, cname) {
    var open = signals.filter(function (g) { return g.confirmed === false; });
    if (!open.length) return;
    root.appendChild(el('h4', { text: 'Unconfirmed signals (one detector only, not findings)' }));
    root.appendChild(table(['class', 'cue', 'detector', 'score', 'statement'], open.map(function (g) {
      return [cname(g['class']), g.kind, g.detector + ': ' + g.cue, +g.score.toFixed(3), g.statement];
    })));
  }

  /** A small bar chart of a statistic's distribution in each group (shared bin edges). */
  function histogram(h) {
    var w = 360, hh = 90, c = el('canvas', { width: w, height: hh + 16 });
    var colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
    var groups = h.groups, bins = groups.length ? groups[0].counts.length : 0, max = 0;
    groups.forEach(function (g) {
      var total = g.counts.reduce(function (a, b) { return a + b; }, 0) || 1;
      g.share = g.counts.map(function (v) { return v / total; });
      g.share.forEach(function (v) { if (v > max) max = v; });
    });
    var ctx = c.getContext('2d'), bw = w / Math.max(1, bins);
    groups.forEach(function (g, k) {
      ctx.globalAlpha = 0.55;
      ctx.fillStyle = colors[k % colors.length];
      g.share.forEach(function (v, i) { var y = max ? v / max * hh : 0; ctx.fillRect(i * bw + 1, hh - y, bw - 2, y); });
    });
    ctx.globalAlpha = 1;
    var legend = el('div', { cls: 'note', text: (h.statistic || '') + (h.edges && h.edges.length ? ' from ' +
      (+h.edges[0].toFixed(3)) + ' to ' + (+h.edges[h.edges.length - 1].toFixed(3)) : '') + ': ' });
    groups.forEach(function (g, k) {
      var key = el('span', { text: ' ■ ' + g.name });
      key.style.color = colors[k % colors.length];
      legend.appendChild(key);
    });
    return el('div', { cls: 'histogram' }, [c, legend]);
  }

  /**
   * The Audit section: one renderer per part of audit.json, each drawn even when another fails
   * (the section is then marked as not drawn, naming the parts).
   * @param {HTMLElement} root
   * @param {?AuditSummary} A
   */
  function auditSection(root, A) {
    if (!A) { note(root, 'No audit: run `convlens audit` (the demo does) before the report.'); return; }
    var names = A.classes;
    function cname(i) { return i === null || i === undefined ? 'none' : (i >= 0 && i < names.length ? names[i] : String(i)); }
    var failed = [];
    [['summary', function () { auditSummary(root, A, cname); }],
     ['region shortcuts', function () { regionShortcuts(A.region, cname); }],
     ['attention', function () { attentionGrids(A, cname); }],
     ['mistakes', function () { mistakesPart(A.mistakes, cname); }],
     ['explanation quality', function () { qualityPart(A.quality); }]].forEach(function (p) {
      try {
        p[1]();
      } catch (e) {
        failed.push(p[0] + ' (' + e.message + ')');
        console.error('convlens: audit part ' + p[0] + ': ' + (e && e.stack ? e.stack : e));
      }
    });
    if (failed.length) throw new Error('audit parts not drawn: ' + failed.join('; '));
  }

  /**
   * The summary cards, the findings and the unconfirmed signals.
   * @param {HTMLElement} root
   * @param {AuditSummary} A
   * @param {function(?number): string} cname
   */
  function auditSummary(root, A, cname) {
    var M = A.mistakes, S = A.region, Q = A.quality;
    var F = A.findings || [];
    var flagged = [];
    F.forEach(function (f) {
      var label = cname(f['class']) + ' (' + f.kind + ')';
      if (flagged.indexOf(label) < 0) flagged.push(label);
    });
    var cards = $('audit-summary');
    [['images audited', A.images.toLocaleString()],
     ['accuracy', M.labelled ? (100 * M.accuracy).toFixed(2) + '%' : 'n/a'],
     ['shortcut classes flagged', flagged.length ? flagged.join(', ') : 'none'],
     ['candidate label issues', String(M.label_issue_count)],
     ['quality sample', Q ? Q.measured_images + ' images' : 'skipped']].forEach(function (kv) {
      cards.appendChild(el('div', { cls: 'card' }, [el('div', { cls: 'k', text: kv[0] }), el('div', { cls: 'v small', text: kv[1] })]));
    });
    root.setAttribute('data-flagged', S.flagged.map(cname).join(','));
    findingCards($('audit-findings'), F, cname);
    unconfirmedSignals($('audit-findings'), A.signals || [], cname);
  }

  /**
   * The region detector's candidates, examples and suspects.
   * @param {Object} S the region detector's section
   * @param {function(?number): string} cname
   */
  function regionShortcuts(S, cname) {
    var cand = S.candidates.slice().sort(function (a, b) {
      return (b.class_flagged - a.class_flagged) || (b.lift - a.lift);
    });
    if (!cand.length) note($('audit-shortcuts'), 'No attention maps in the analysis: nothing to search for shortcuts.');
    else $('audit-shortcuts').appendChild(table(['class', 'method', 'region', 'lift', 'mass', 'others\' mass', 'consistency', 'images', 'flagged'],
      cand.map(function (c) {
        return [cname(c['class']), titleWithMark(c.method), c.region, +c.lift.toFixed(2), +c.mass.toFixed(3),
          +c.background.toFixed(3), +c.consistency.toFixed(2), c.images,
          c.class_flagged ? (c.method_flagged ? 'yes (class flagged)' : 'class flagged') : (c.method_flagged ? 'method only' : 'no')];
      }), function (i) { return cand[i].class_flagged && cand[i].method_flagged ? 'flagged' : ''; }));
    var box = $('audit-shortcut-images');
    S.flagged.forEach(function (k) {
      var best = cand.filter(function (c) { return c['class'] === k && c.method_flagged; })[0];
      box.appendChild(el('h4', { text: 'Shortcut in "' + cname(k) + '": ' + (best ? best.region : '') +
        ' (' + (S.suspect_counts[k] || 0) + ' suspect image(s) of other classes)' }));
      var ex = el('div', { cls: 'thumbs' });
      var seen = {};
      S.examples.filter(function (e) { return e['class'] === k; }).forEach(function (e) {
        if (seen[e.id]) return;
        seen[e.id] = true;
        var region = cand.filter(function (c) { return c['class'] === k && c.method === e.method; })[0];
        ex.appendChild(thumbCell(e.png, 'example · ' + titleWithMark(e.method) + ' mass ' + e.mass.toFixed(2),
          region ? region.box : null, e.id));
      });
      box.appendChild(ex);
      var sus = el('div', { cls: 'thumbs' });
      sus.setAttribute('data-suspects', String(k));
      S.suspects.filter(function (e) { return e['class'] === k; }).forEach(function (e) {
        sus.appendChild(thumbCell(e.png, cname(e.true_class) + ' → ' + cname(e.predicted) + ' (' + (100 * e.confidence).toFixed(0) +
          '%), lift ' + e.lift.toFixed(1), best ? best.box : null, e.id));
      });
      box.appendChild(el('div', { cls: 'note', text: 'Suspects: images of other classes predicted as ' + cname(k) + ', looking at the same region' }));
      box.appendChild(sus);
    });
  }

  /**
   * The mean attention grids per class, by method and scope.
   * @param {AuditSummary} A
   * @param {function(?number): string} cname
   */
  function attentionGrids(A, cname) {
    var S = A.region;
    var methods = A.methods;
    var msel = $('audit-method'), scope = $('audit-scope');
    methods.forEach(function (m) { option(msel, m, titleWithMark(m)); });
    function drawAttention() {
      var grid = $('audit-attention');
      clear(grid);
      var m = msel.value, sc = scope.value;
      var maps = A.attention.filter(function (a) { return a.method === m && (a.scope === sc || a.scope === 'all'); });
      maps.sort(function (a, b) { return (a.scope === 'all') - (b.scope === 'all') || a['class'] - b['class']; });
      maps.forEach(function (a) {
        var c = el('canvas', { width: 112, height: 112 });
        c.setAttribute('data-class', a.scope === 'all' ? 'all' : cname(a['class']));
        drawGrid(c, a.map);
        var isFlagged = a.scope !== 'all' && S.flagged.indexOf(a['class']) >= 0;
        var caption = mapCaption(a.method, (a.scope === 'all' ? 'all images' : cname(a['class'])) + ' (' + a.images + ')' +
          (isFlagged ? ' · shortcut' : ''));
        if (isFlagged) caption.className = 'wrong';
        grid.appendChild(el('div', { cls: 'cell' }, [c, caption]));
      });
      grid.setAttribute('data-method', m);
      grid.setAttribute('data-scope', sc);
    }
    if (methods.length) {
      msel.addEventListener('change', drawAttention);
      scope.addEventListener('change', drawAttention);
      drawAttention();
    } else note($('audit-attention'), 'No attention maps in the analysis.');
  }

  /**
   * The confusion matrix, accuracy and entropy per class, confident mistakes and label issues.
   * @param {MistakesData} M
   * @param {function(?number): string} cname
   */
  function mistakesPart(M, cname) {
    if (M.labelled) {
      var used = {};
      M.confusion.forEach(function (c) { used[c[0]] = true; used[c[1]] = true; });
      var idx = Object.keys(used).map(Number).sort(function (a, b) { return a - b; });
      var pos = {};
      idx.forEach(function (c, i) { pos[c] = i; });
      var maxCount = 1;
      var cells = M.confusion.map(function (c) { maxCount = Math.max(maxCount, c[2]); return [pos[c[1]], pos[c[0]], c[2]]; });
      chartOn('audit-confusion').setOption({
        animation: false,
        tooltip: { trigger: 'item', renderMode: 'richText', confine: true, formatter: function (p) {
          return 'true ' + cname(idx[p.value[1]]) + ', predicted ' + cname(idx[p.value[0]]) + ': ' + p.value[2]; } },
        grid: { left: 120, right: 20, top: 10, bottom: 110 },
        xAxis: { type: 'category', data: idx.map(cname), axisLabel: { rotate: 50, interval: 0 }, name: 'predicted', nameLocation: 'middle', nameGap: 90 },
        yAxis: { type: 'category', data: idx.map(cname), inverse: true, axisLabel: { interval: 0 } },
        visualMap: { min: 0, max: maxCount, show: false, inRange: { color: ['#f4f6fb', '#2f5fd0'] } },
        series: [{ type: 'heatmap', data: cells, label: { show: idx.length <= 20, fontSize: 10 } }]
      });
      var cls = M.classes.filter(function (c) { return c.images > 0; });
      chartOn('audit-classes').setOption({
        animation: false,
        legend: { top: 0 },
        tooltip: { trigger: 'axis', renderMode: 'richText', confine: true },
        grid: { left: 50, right: 50, top: 30, bottom: 90 },
        xAxis: { type: 'category', data: cls.map(function (c) { return cname(c['class']); }), axisLabel: { rotate: 40, interval: 0 } },
        yAxis: [{ type: 'value', name: 'accuracy %', max: 100 }, { type: 'value', name: 'entropy (nats)' }],
        series: [
          { type: 'bar', name: 'accuracy %', data: cls.map(function (c) { return +(100 * c.accuracy).toFixed(2); }) },
          { type: 'line', name: 'mean entropy', yAxisIndex: 1, data: cls.map(function (c) { return +c.mean_entropy.toFixed(4); }) }]
      });
    } else {
      note($('audit-confusion'), 'No labelled images: no confusion matrix.');
    }
    var mis = $('audit-mistakes');
    if (!M.confident.length) note(mis, 'No mistakes among the labelled images.');
    M.confident.forEach(function (e) {
      mis.appendChild(thumbCell(e.png, cname(e.true_class) + ' → ' + cname(e.predicted) + ' (' + (100 * e.confidence).toFixed(1) + '%)', null, e.id));
    });
    var li = $('audit-label-issues');
    if (!M.label_issues.length) note(li, 'No candidate label issues.');
    M.label_issues.forEach(function (e) {
      li.appendChild(thumbCell(e.png, 'labelled ' + cname(e.true_class) + ' (' + (100 * e.label_prob).toFixed(1) + '%), looks like ' +
        cname(e.suggested) + ' (' + (100 * e.confidence).toFixed(1) + '%)', null, e.id));
    });
  }

  /**
   * The explanation-quality charts and table.
   * @param {?QualityData} Q null when the checks were skipped
   */
  function qualityPart(Q) {
    if (!Q) {
      $('audit-quality-note').textContent = 'The quality checks were skipped (audit.quality.samples = 0, or no method with maps).';
      return;
    }
    var B = Q.bootstrap; // absent from audits made before the intervals
    $('audit-quality-note').textContent = 'On ' + Q.measured_images + ' sampled images' + (B ? '; each figure is the mean over ' +
      'them with its ' + (100 * B.level) + '% interval [low, high] (percentile bootstrap over the images, ' + B.resamples +
      ' resamples, seed ' + B.seed + ')' : '') + '. How to read: a trustworthy method\'s ρ falls ' +
      'towards 0 as layers are randomised (a map that survives random weights shows the input, not the model); its deletion curve ' +
      'falls faster (lower AUC) and its insertion curve rises faster (higher AUC) than the random pixel order\'s.' +
      (Q.errors.length ? ' Images that could not be read again: ' + Q.errors.length + '.' : '');
    var qm = Q.methods;
    // "0.13 [0.05, 0.21]": a figure and its interval.
    function withInterval(mean, lo, hi, digits) {
      if (mean === null || mean === undefined) return '—';
      return mean.toFixed(digits) + (lo === null || lo === undefined ? '' : ' [' + lo.toFixed(digits) + ', ' + hi.toFixed(digits) + ']');
    }
    // Vertical bars from lo to hi with caps, at a category's centre moved by shift × the category's width.
    function errorBars(name, color, data, shift) {
      return {
        type: 'custom', name: name, data: data, silent: true, clip: true, z: 3, tooltip: { show: false },
        encode: { x: 0, y: [1, 2] },
        renderItem: function (params, api) {
          var x = api.coord([api.value(0), 0])[0] + shift * api.size([1, 0])[0];
          var lo = api.coord([api.value(0), api.value(1)])[1], hi = api.coord([api.value(0), api.value(2)])[1];
          var style = { stroke: color, lineWidth: 1.5 };
          return { type: 'group', children: [
            { type: 'line', shape: { x1: x, y1: lo, x2: x, y2: hi }, style: style },
            { type: 'line', shape: { x1: x - 3, y1: lo, x2: x + 3, y2: lo }, style: style },
            { type: 'line', shape: { x1: x - 3, y1: hi, x2: x + 3, y2: hi }, style: style }] };
        }
      };
    }
    var layers = [];
    Q.randomization.forEach(function (r) { layers[r.step] = r.layer; });
    var xs = ['trained'].concat(layers.slice(1));
    var cascadeSeries = [];
    qm.forEach(function (m, i) {
      var data = [1], bars = [];
      Q.randomization.filter(function (r) { return r.method === m; }).forEach(function (r) {
        data[r.step] = r.spearman_mean === null ? null : +r.spearman_mean.toFixed(4);
        if (r.spearman_lo !== null && r.spearman_lo !== undefined) bars.push([r.step, r.spearman_lo, r.spearman_hi]);
      });
      var title = METHOD_TITLES[m] || m;
      cascadeSeries.push({ type: 'line', name: title, data: data, connectNulls: true, color: colorOf(i) });
      // Side by side within a step, so that the methods' bars do not hide each other.
      cascadeSeries.push(errorBars(title, colorOf(i), bars, (i - (qm.length - 1) / 2) * 0.12));
    });
    chartOn('audit-randomization').setOption({
      animation: false,
      legend: { top: 0 },
      tooltip: { trigger: 'axis', renderMode: 'richText', confine: true },
      grid: { left: 50, right: 20, top: 30, bottom: 110 },
      xAxis: { type: 'category', data: xs, axisLabel: { rotate: 50, interval: 0 }, name: 'randomised down to', nameLocation: 'middle', nameGap: 95 },
      yAxis: { type: 'value', min: -0.5, max: 1, name: 'Spearman ρ' },
      series: cascadeSeries
    });
    var fm = qm.concat(['random']);
    function faith(m, kind) {
      return Q.faithfulness.filter(function (f) { return f.method === m && f.kind === kind; })[0] || null;
    }
    function auc(m, kind) {
      var r = faith(m, kind);
      return r && r.auc_mean !== null ? +r.auc_mean.toFixed(4) : null;
    }
    function aucBars(kind) {
      var out = [];
      fm.forEach(function (m, i) {
        var r = faith(m, kind);
        if (r && r.auc_lo !== null && r.auc_lo !== undefined) out.push([i, r.auc_lo, r.auc_hi]);
      });
      return out;
    }
    // Two bars per method with no gap between them and 30% of the category left free: each bar's
    // centre is 0.175 of the category's width from the category's centre.
    chartOn('audit-faithfulness').setOption({
      animation: false,
      legend: { top: 0 },
      tooltip: { trigger: 'axis', renderMode: 'richText', confine: true },
      grid: { left: 50, right: 20, top: 30, bottom: 40 },
      xAxis: { type: 'category', data: fm.map(function (m) { return METHOD_TITLES[m] || m; }) },
      yAxis: { type: 'value', min: 0, max: 1, name: 'AUC' },
      series: [{ type: 'bar', name: 'deletion', barGap: '0%', barCategoryGap: '30%', color: colorOf(0),
                 data: fm.map(function (m) { return auc(m, 'deletion'); }) },
        { type: 'bar', name: 'insertion', barGap: '0%', barCategoryGap: '30%', color: colorOf(1),
          data: fm.map(function (m) { return auc(m, 'insertion'); }) },
        errorBars('deletion', '#333', aucBars('deletion'), -0.175),
        errorBars('insertion', '#333', aucBars('insertion'), 0.175)]
    });
    var last = {};
    Q.randomization.forEach(function (r) { if (!last[r.method] || r.step > last[r.method].step) last[r.method] = r; });
    var steps = Math.max(0, layers.length - 1);
    // Ranked by the sanity verdicts (most trusted first; audits made before them keep their order),
    // the random order last; a failing method's row is marked and says which checks it fails.
    var ranked = qm.slice();
    if (Q.sanity) ranked.sort(function (a, b) { return (SANITY[a] ? SANITY[a].rank : 1e9) - (SANITY[b] ? SANITY[b].rank : 1e9); });
    ranked.push('random');
    var verdictText = function (m) {
      var v = SANITY[m];
      if (!v) return m === 'random' ? 'reference' : '—';
      return v.verdict === 'fail' ? 'fails: ' + v.failed.join(', ') : v.verdict === 'pass' ? 'passes' +
        (v.unmeasured.length ? ' (not measured: ' + v.unmeasured.join(', ') + ')' : '') : 'not measured';
    };
    var qualityTable = table(['rank', 'method', 'sanity', 'ρ after the top layer', 'ρ after all ' + steps + ' steps',
      'deletion AUC', 'insertion AUC'], ranked.map(function (m) {
      var first = Q.randomization.filter(function (r) { return r.method === m && r.step === 1; })[0];
      var del = faith(m, 'deletion'), ins = faith(m, 'insertion');
      return [SANITY[m] ? SANITY[m].rank : '—', METHOD_TITLES[m] || m, verdictText(m),
        first ? withInterval(first.spearman_mean, first.spearman_lo, first.spearman_hi, 2) : '—',
        last[m] ? withInterval(last[m].spearman_mean, last[m].spearman_lo, last[m].spearman_hi, 2) : '—',
        del ? withInterval(del.auc_mean, del.auc_lo, del.auc_hi, 3) : '—',
        ins ? withInterval(ins.auc_mean, ins.auc_lo, ins.auc_hi, 3) : '—'];
    }), function (i) { return SANITY[ranked[i]] && SANITY[ranked[i]].verdict === 'fail' ? 'flagged' : ''; });
    qualityTable.setAttribute('data-ranking', ranked.join(','));
    $('audit-quality-table').appendChild(qualityTable);
  }

  section('run', runSection, D.run);
  section('model', modelSection, D.model);
  section('filters', filtersSection, D.model);
  section('class-vectors', classVectorSection, D.model);
  section('embedding', embeddingSection);
  section('gallery', gallerySection);
  section(GRID.name, gridSection);
  section('attribution', attributionSection);
  section('maximization', maximizationSection, D.model);
  section('audit', auditSection, D.audit);
})();
