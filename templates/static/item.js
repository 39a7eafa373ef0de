/* The item page, made quicker with a mouse or keyboard. Everything here is optional: without
 * this script the findings list, the "remove words by typing them" box and the Preview button
 * do the same job.
 *
 * Offsets sent to the server are Unicode code points (Python string indices). The browser
 * counts in UTF-16 code units, so every offset is measured by turning the text before it into
 * an array of code points (Array.from splits a string by code point, not by code unit).
 */
(function () {
  "use strict";

  var form = document.getElementById("decision-form");
  var letter = document.getElementById("letter");
  if (!form || !letter) {
    return;
  }
  var preview = document.getElementById("preview");
  var replacementInput = document.getElementById("replacement");
  var removeText = document.getElementById("remove_text");
  var tools = document.getElementById("selection-tools");
  var removeButton = document.getElementById("remove-selection");
  var freeList = document.getElementById("free-spans");
  var chars = Array.from(letter.textContent);
  var marks = Array.prototype.slice.call(letter.querySelectorAll("mark.finding"));
  var rows = Array.prototype.slice.call(form.querySelectorAll(".finding-row"));
  var pending = null; // the selection waiting for the "remove" button: {start, end}

  function codePoints(text) {
    return Array.from(text).length;
  }

  function radio(id, value) {
    var selector = 'input[name="finding_' + CSS.escape(id) + '"]';
    if (value === undefined) {
      return form.querySelector(selector + ":checked");
    }
    return form.querySelector(selector + '[value="' + value + '"]');
  }

  function choiceOf(id) {
    var checked = radio(id);
    return checked ? checked.value : "";
  }

  function setChoice(id, value) {
    var input = radio(id, value);
    if (input) {
      input.checked = true;
    }
  }

  function replacement() {
    return replacementInput && replacementInput.value ? replacementInput.value : "[removed]";
  }

  /* Code-point offset of a DOM boundary point inside the letter. */
  function offsetOf(node, offset) {
    var range = document.createRange();
    range.setStart(letter, 0);
    range.setEnd(node, offset);
    return codePoints(range.toString());
  }

  function phraseSpans() {
    var found = [];
    if (!removeText) {
      return found;
    }
    removeText.value.replace(/\r\n/g, "\n").split("\n").forEach(function (line) {
      var phrase = Array.from(line.trim());
      if (!phrase.length) {
        return;
      }
      var at = 0;
      while (at + phrase.length <= chars.length) {
        var hit = true;
        for (var k = 0; k < phrase.length; k += 1) {
          if (chars[at + k] !== phrase[k]) {
            hit = false;
            break;
          }
        }
        if (hit) {
          found.push([at, at + phrase.length]);
          at += phrase.length;
        } else {
          at += 1;
        }
      }
    });
    return found;
  }

  /* The same spans, merged the same way, as the server will apply. */
  function spans() {
    var list = [];
    rows.forEach(function (row) {
      if (choiceOf(row.dataset.finding) === "redact") {
        list.push([Number(row.dataset.start), Number(row.dataset.end)]);
      }
    });
    form.querySelectorAll('input[name="span"]').forEach(function (input) {
      var parts = input.value.split("-");
      list.push([Number(parts[0]), Number(parts[1])]);
    });
    list = list.concat(phraseSpans());
    list.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    var merged = [];
    list.forEach(function (span) {
      var last = merged[merged.length - 1];
      if (last && span[0] <= last[1]) {
        last[1] = Math.max(last[1], span[1]);
      } else {
        merged.push([span[0], span[1]]);
      }
    });
    return merged;
  }

  function refresh() {
    var out = "";
    var cursor = 0;
    var text = replacement();
    spans().forEach(function (span) {
      out += chars.slice(cursor, span[0]).join("") + text;
      cursor = span[1];
    });
    out += chars.slice(cursor).join("");
    if (preview) {
      preview.textContent = out;
    }
    marks.forEach(function (mark) {
      var ids = mark.dataset.findings.split(" ");
      var redacted = ids.some(function (id) { return choiceOf(id) === "redact"; });
      var dismissed = ids.every(function (id) { return choiceOf(id) === "dismiss"; });
      mark.classList.toggle("is-redacted", redacted);
      mark.classList.toggle("is-dismissed", dismissed && !redacted);
      mark.setAttribute("aria-pressed", redacted ? "true" : "false");
      mark.dataset.replacement = text;
    });
    rows.forEach(function (row) {
      var reason = row.querySelector(".reason");
      if (reason) {
        var input = reason.querySelector("input");
        reason.hidden = choiceOf(row.dataset.finding) !== "dismiss" && !(input && input.value);
      }
    });
  }

  function toggle(mark) {
    var ids = mark.dataset.findings.split(" ");
    var all = ids.every(function (id) { return choiceOf(id) === "redact"; });
    ids.forEach(function (id) { setChoice(id, all ? "" : "redact"); });
    refresh();
  }

  marks.forEach(function (mark) {
    mark.setAttribute("tabindex", "0");
    mark.setAttribute("role", "button");
    mark.setAttribute("aria-label", "Remove: " + mark.textContent + " (" + mark.title + ")");
    mark.addEventListener("click", function () { toggle(mark); });
    mark.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        toggle(mark);
      }
    });
  });

  /* Typing a reason to keep a finding chooses "keep it". */
  rows.forEach(function (row) {
    var id = row.dataset.finding;
    var reason = document.getElementById("reason_" + id);
    if (reason) {
      reason.addEventListener("input", function () {
        if (reason.value.trim() && choiceOf(id) === "") {
          setChoice(id, "dismiss");
          refresh();
        }
      });
    }
  });

  function listFreeSpan(input) {
    var parts = input.value.split("-");
    var item = document.createElement("li");
    var quote = document.createElement("q");
    quote.textContent = chars.slice(Number(parts[0]), Number(parts[1])).join("");
    var undo = document.createElement("button");
    undo.type = "button";
    undo.className = "button-link";
    undo.textContent = "Keep these words";
    undo.addEventListener("click", function () {
      input.remove();
      item.remove();
      refresh();
    });
    item.appendChild(quote);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(undo);
    freeList.appendChild(item);
  }

  function currentSelection() {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) {
      return null;
    }
    var range = selection.getRangeAt(0);
    var startInside = letter.contains(range.startContainer);
    var endInside = letter.contains(range.endContainer);
    if (!startInside && !endInside) {
      return null;
    }
    var start = startInside ? offsetOf(range.startContainer, range.startOffset) : 0;
    var end = endInside ? offsetOf(range.endContainer, range.endOffset) : chars.length;
    while (start < end && /\s/.test(chars[start])) {
      start += 1;
    }
    while (end > start && /\s/.test(chars[end - 1])) {
      end -= 1;
    }
    return start < end ? { start: start, end: end } : null;
  }

  form.addEventListener("change", refresh);
  form.addEventListener("input", refresh);
  refresh();
  if (!tools || !removeButton || !freeList) {
    return; // awaiting a countersignature: nothing more to remove here
  }

  document.addEventListener("selectionchange", function () {
    var found = currentSelection();
    if (found) {
      pending = found;
    } else if (document.activeElement !== removeButton) {
      pending = null;
    }
    removeButton.disabled = pending === null;
  });

  removeButton.addEventListener("click", function () {
    if (!pending) {
      return;
    }
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = "span";
    input.value = pending.start + "-" + pending.end;
    input.setAttribute("data-free-span", "");
    form.appendChild(input);
    listFreeSpan(input);
    pending = null;
    removeButton.disabled = true;
    var selection = window.getSelection();
    if (selection) {
      selection.removeAllRanges();
    }
    refresh();
  });

  form.querySelectorAll("input[data-free-span]").forEach(listFreeSpan);
  tools.hidden = false;
})();
