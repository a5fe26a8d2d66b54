/* The quiz of a module exported as a SCORM 1.2 package by the election officials' training platform.

   It draws the questions from the bank in quiz.html, lays out their parts, reads and grades the answers
   by the platform's own rules (lms/content/kinds/*.py: the same answer shapes, the same credit, the score
   in percent to one decimal as Python's round() gives it), and reports the outcome through the SCORM 1.2
   API of the learning platform, found in a parent window or the opener as the ADL API-finding
   algorithm does. There is no server: the answer key is in this package. */
(function () {
  "use strict";

  // --- the platform's rules, on the answers as the platform stores them ---------------------------
  // single: option id; multiple: sorted option ids; order: {step id: position}; protocol: {field id: number}

  function isInteger(value) {
    return typeof value === "number" && isFinite(value) && Math.floor(value) === value;
  }

  /* order_from_positions: the steps in the learner's order; ties keep the order they were shown in. */
  function orderFromPositions(positions, layout) {
    if (!positions) return [];
    var numbered = [];
    layout.forEach(function (step, i) {
      if (isInteger(positions[step])) numbered.push([positions[step], i, step]);
    });
    numbered.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    return numbered.map(function (entry) { return entry[2]; });
  }

  /* longest_run: the longest stretch in which each step is followed by its true successor. */
  function longestRun(sequence, correct) {
    if (!sequence.length) return 0;
    var successor = {};
    for (var i = 0; i + 1 < correct.length; i++) successor[correct[i]] = correct[i + 1];
    var best = 1, run = 1;
    for (var j = 0; j + 1 < sequence.length; j++) {
      run = successor[sequence[j]] === sequence[j + 1] ? run + 1 : 1;
      best = Math.max(best, run);
    }
    return best;
  }

  function distinctValues(object) {
    var seen = {}, count = 0;
    Object.keys(object || {}).forEach(function (k) {
      var key = String(object[k]);
      if (!Object.prototype.hasOwnProperty.call(seen, key)) { seen[key] = true; count++; }
    });
    return count;
  }

  /* The credit (0 to 1) of `answer` (null when unanswered) to question `q` shown in `layout`. */
  function grade(q, answer, layout) {
    if (q.kind === "single") {
      return q.correct.indexOf(answer) >= 0 ? 1 : 0;
    }
    if (q.kind === "multiple") {
      var chosen = {}, hits = 0, misses = 0;
      (answer || []).forEach(function (id) { chosen[id] = true; });
      Object.keys(chosen).forEach(function (id) { if (q.correct.indexOf(id) >= 0) hits++; else misses++; });
      return Math.max(0, (hits - misses) / q.correct.length);
    }
    if (q.kind === "order") {
      var correct = q.parts, sequence = orderFromPositions(answer, layout);
      if (sequence.length === correct.length && sequence.every(function (s, i) { return s === correct[i]; })) return 1;
      if (sequence.length !== correct.length || distinctValues(answer) !== correct.length) {
        sequence = sequence.slice(0, correct.length);  // an incomplete numbering earns the run it gets right
      }
      return Math.max(0, (longestRun(sequence, correct) - 1) / (correct.length - 1));
    }
    if (q.kind === "protocol") {
      var figures = answer || {}, wrong = 0;
      q.parts.forEach(function (id) {
        if (!Object.prototype.hasOwnProperty.call(figures, id) || figures[id] !== q.answers[id]) wrong++;
      });
      return (q.parts.length - wrong) / q.parts.length;
    }
    throw new Error("unknown question kind " + q.kind);
  }

  /* Python's round(x, 1): the nearest tenth of x's exact value, and an exact tie (.x25, .x75) to the even tenth. */
  function round1(x) {
    var quarters = x * 4;
    if (Math.floor(quarters) === quarters && quarters % 2 !== 0) {
      var low = Math.floor(x * 10);
      return (low % 2 === 0 ? low : low + 1) / 10;
    }
    return parseFloat(x.toFixed(1));
  }

  /* score_of: the score in percent, to one decimal, from each question's credit. */
  function score(credits) {
    if (!credits.length) return 0;
    var sum = 0;
    credits.forEach(function (c) { sum += c; });
    return round1(100 * sum / credits.length);
  }

  // --- drawing and laying out, as the platform does when an attempt starts -------------------------

  function random() {
    if (window.crypto && window.crypto.getRandomValues) {
      var word = new Uint32Array(1);
      window.crypto.getRandomValues(word);
      return word[0] / 4294967296;
    }
    return Math.random();
  }

  function shuffled(list) {
    var out = list.slice();
    for (var i = out.length - 1; i > 0; i--) {
      var j = Math.floor(random() * (i + 1)), t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }

  /* The parts in the order this attempt shows them: options shuffled, steps shuffled but never already
     in the right order, the lines of a protocol as printed. */
  function layout(q) {
    if (q.kind === "protocol") return q.parts.slice();
    var ids = shuffled(q.parts);
    if (q.kind === "order") {
      while (ids.length > 1 && ids.join("\n") === q.parts.join("\n")) ids = shuffled(q.parts);
    }
    return ids;
  }

  // --- reading the answers from the page, as the kinds' parse() reads the form ----------------------

  function parse(q, fieldset, shown) {
    var key = "q-" + q.id;
    if (q.kind === "single" || q.kind === "multiple") {
      var chosen = [];
      fieldset.querySelectorAll("input").forEach(function (input) {
        if (input.checked && shown.indexOf(input.value) >= 0 && chosen.indexOf(input.value) < 0) chosen.push(input.value);
      });
      if (q.kind === "single") return chosen.length ? chosen[0] : null;
      return chosen.length ? chosen.sort() : null;
    }
    var values = {}, any = false;
    shown.forEach(function (part) {
      var control = fieldset.querySelector("[name='" + key + "-" + part + "']");
      var raw = control ? control.value.trim() : "";
      if (q.kind === "order") {
        if (/^[0-9]+$/.test(raw) && Number(raw) >= 1 && Number(raw) <= shown.length) {
          values[part] = Number(raw);
          any = true;
        }
      } else {
        raw = raw.replace(/ /g, "");
        if (/^[0-9]{1,9}$/.test(raw)) {
          values[part] = parseInt(raw, 10);
          any = true;
        }
      }
    });
    return any ? values : null;
  }

  // --- the SCORM 1.2 API ---------------------------------------------------------------------------

  /* ADL's algorithm: this window and its parents, at most 7 levels up; then the opener and its parents. */
  function findAPI(win) {
    var tries = 0;
    try {
      while (!win.API && win.parent && win.parent !== win) {
        if (++tries > 7) return null;
        win = win.parent;
      }
      return win.API || null;
    } catch (e) {
      return null;  // a window of another origin on the way
    }
  }

  function getAPI() {
    var api = findAPI(window);
    if (!api && window.opener) api = findAPI(window.opener);
    return api;
  }

  function pad(n, width) {
    var text = String(n);
    while (text.length < width) text = "0" + text;
    return text;
  }

  /* A CMITimespan, HHHH:MM:SS.SS. */
  function timespan(ms) {
    var cs = Math.max(0, Math.round(ms / 10));
    var h = Math.floor(cs / 360000), m = Math.floor(cs / 6000) % 60, s = Math.floor(cs / 100) % 60;
    cs = cs % 100;
    if (h > 9999) { h = 9999; m = 59; s = 59; cs = 99; }
    return pad(h, 4) + ":" + pad(m, 2) + ":" + pad(s, 2) + "." + pad(cs, 2);
  }

  var started = Date.now(), api = null, connected = false, finished = false, recording = true;

  function set(element, value) {
    return String(api.LMSSetValue(element, value)) === "true";
  }

  function connect() {
    api = getAPI();
    if (!api) return;
    connected = String(api.LMSInitialize("")) === "true";
    if (!connected) return;
    recording = api.LMSGetValue("cmi.core.lesson_mode") !== "review";  // a review records nothing
    var status = api.LMSGetValue("cmi.core.lesson_status");
    if (recording && (!status || status === "not attempted")) {
      set("cmi.core.lesson_status", "incomplete");
      api.LMSCommit("");
    }
  }

  function report(result, passed) {
    if (!connected || finished || !recording) return false;
    var ok = set("cmi.core.score.min", "0") && set("cmi.core.score.max", "100")
      && set("cmi.core.score.raw", String(result))
      && set("cmi.core.lesson_status", passed ? "passed" : "failed")
      && set("cmi.core.session_time", timespan(Date.now() - started));
    return String(api.LMSCommit("")) === "true" && ok;
  }

  function finish() {
    if (!connected || finished) return;
    finished = true;
    if (recording) set("cmi.core.session_time", timespan(Date.now() - started));
    api.LMSFinish("");
  }

  // --- the page ------------------------------------------------------------------------------------

  var form = document.getElementById("quiz");
  var key = JSON.parse(document.getElementById("quiz-key").textContent);
  var strings = form.dataset, attempt = [], submitted = false;

  function note(parent, text, className) {
    var span = document.createElement(className === "verdict-text" ? "strong" : "em");
    span.className = className;
    span.textContent = " (" + text + ")";
    parent.appendChild(span);
  }

  function start() {
    var drawn = shuffled(key.questions).slice(0, Math.min(key.perAttempt, key.questions.length));
    drawn.forEach(function (q, n) {
      var fieldset = document.getElementById("q-" + q.id), shown = layout(q);
      var container = fieldset.querySelector(".parts") || fieldset.querySelector("tbody");
      shown.forEach(function (part) {
        container.appendChild(container.querySelector("[data-part='" + part + "']"));
      });
      fieldset.querySelector(".number").textContent = strings.numbering
        .replace("{n}", String(n + 1)).replace("{total}", String(drawn.length));
      form.insertBefore(fieldset, form.querySelector("button[type=submit]"));
      fieldset.hidden = false;
      fieldset.disabled = false;
      attempt.push({q: q, fieldset: fieldset, layout: shown});
    });
    form.hidden = false;
  }

  function showAnswer(item, answer, credit) {
    var q = item.q, fieldset = item.fieldset;
    var verdict = fieldset.querySelector(".verdict");
    verdict.textContent = credit >= 1 ? strings.right : credit > 0 ? strings.part : strings.wrong;
    verdict.className = "verdict tag " + (credit >= 1 ? "tag-right" : credit > 0 ? "tag-part" : "tag-wrong");
    verdict.hidden = false;
    if (q.kind === "single" || q.kind === "multiple") {
      var chosen = q.kind === "single" ? [answer] : (answer || []);
      fieldset.querySelectorAll(".choice").forEach(function (label) {
        var id = label.dataset.part;
        var text = label.querySelector("span");
        if (chosen.indexOf(id) >= 0) { label.classList.add("is-chosen"); note(text, strings.yourAnswer, "chosen-text"); }
        if (q.correct.indexOf(id) >= 0) { label.classList.add("is-right"); note(text, strings.rightAnswer, "verdict-text"); }
      });
    } else if (q.kind === "order") {
      if (credit < 1) fieldset.querySelector(".right-order").hidden = false;
    } else if (q.kind === "protocol") {
      fieldset.querySelectorAll("tr[data-part]").forEach(function (row) {
        var id = row.dataset.part;
        if (!answer || answer[id] !== q.answers[id]) {
          row.classList.add("is-wrong");
          row.querySelector(".right-figure").hidden = false;
        }
      });
    }
    fieldset.querySelector(".explanation").hidden = false;
    fieldset.disabled = true;
  }

  function submit(event) {
    event.preventDefault();
    if (submitted) return;
    submitted = true;
    var credits = attempt.map(function (item) {
      var answer = parse(item.q, item.fieldset, item.layout), credit = grade(item.q, answer, item.layout);
      showAnswer(item, answer, credit);
      return credit;
    });
    var result = score(credits), passed = result >= key.passMark, reported = report(result, passed);
    var outcome = document.getElementById("outcome");
    outcome.className = "panel " + (passed ? "panel-pass" : "panel-fail");
    outcome.querySelector(".score").textContent = new Intl.NumberFormat(strings.lang, {
      style: "percent", maximumFractionDigits: 1}).format(result / 100);
    outcome.querySelector(".outcome-verdict").textContent = passed ? strings.passed : strings.failed;
    outcome.querySelector(".reported").textContent = reported ? strings.reported
      : connected ? strings.refused : strings.unreported;
    outcome.dataset.score = String(result);
    outcome.dataset.passed = String(passed);
    form.querySelector("button[type=submit]").hidden = true;
    outcome.hidden = false;
    outcome.focus();
  }

  window.lmsQuiz = {grade: grade, score: score, round1: round1, timespan: timespan, attempt: attempt};
  connect();
  start();
  form.addEventListener("submit", submit);
  window.addEventListener("pagehide", finish);
  window.addEventListener("beforeunload", finish);
})();
