/* cjis-scan HTML report: the findings table. Inline in the page; allowed by its hash in
   the page's CSP. Reads the findings from the JSON block #report-data, filters over the
   array and draws PAGE rows at a time. Data reaches the page only through textContent
   and attributes, never innerHTML. */
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };
  var settings = JSON.parse($("report-settings").textContent);
  var data = JSON.parse($("report-data").textContent);
  var findings = data.findings;
  var rules = data.rules;
  var PAGE = settings.pageSize || 200;

  // Positions in a finding row and in a rule row (see html_report.data_chunks).
  var RULE = 0, STATUS = 1, SEV = 2, RID = 3, RTYPE = 4, SUB = 5, LOC = 6, REASON = 7,
      EVIDENCE = 8, FP = 9, WAIVER = 10;
  var R_REQ = 0, R_CHECK = 1, R_TITLE = 2, R_STEP = 3, R_CONTROLS = 4, R_REM = 5;

  var STATUS_LABEL = { pass: "Pass", fail: "Fail", unknown: "Unknown", manual: "Manual",
                       not_applicable: "N/A", waived: "Waived" };
  var STATUS_RANK = { fail: 0, unknown: 1, manual: 2, waived: 3, pass: 4, not_applicable: 5 };
  var SEV_RANK = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

  var tbody = $("rows");
  var moreButton = $("show-more");
  var resultLine = $("result-line");
  var controls = { step: $("f-step"), status: $("f-status"), severity: $("f-severity"),
                   subscription: $("f-subscription"), check: $("f-check"),
                   group: $("f-group"), text: $("f-text"), sort: $("f-sort") };
  var FILTERS = ["step", "status", "severity", "subscription", "check", "group", "text", "sort"];

  var matches = [];
  var shown = 0;
  var hay = null;   // lower-cased search text per finding, built on the first search
  var subs = null;  // lower-cased subscription id per finding
  var groups = null;  // lower-cased resource group per finding ("" for none)

  function fmt(n) { return n.toLocaleString("en-US"); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function groupOf(id) {
    var m = /^\/subscriptions\/[^/]+\/resourcegroups\/([^/]+)/i.exec(id || "");
    return m ? m[1].toLowerCase() : "";
  }

  function buildIndexes() {
    subs = new Array(findings.length);
    groups = new Array(findings.length);
    var groupCounts = {};
    for (var i = 0; i < findings.length; i++) {
      subs[i] = (findings[i][SUB] || "").toLowerCase();
      groups[i] = groupOf(findings[i][RID]);
      if (groups[i]) { groupCounts[groups[i]] = (groupCounts[groups[i]] || 0) + 1; }
    }
    Object.keys(groupCounts).sort().forEach(function (g) {
      var option = el("option", null, g + " (" + fmt(groupCounts[g]) + ")");
      option.value = g;
      controls.group.appendChild(option);
    });
  }

  /* Findings by check: one row per check, its findings counted by status. */
  function buildRollup() {
    var order = [], counts = {};
    for (var i = 0; i < findings.length; i++) {
      var check = rules[findings[i][RULE]][R_CHECK];
      if (!counts[check]) { counts[check] = {}; order.push(check); }
      counts[check][findings[i][STATUS]] = (counts[check][findings[i][STATUS]] || 0) + 1;
    }
    var body = $("by-check"), fragment = document.createDocumentFragment();
    order.forEach(function (check) {
      var tr = el("tr", "check-row");
      tr.setAttribute("data-check", check);
      tr.appendChild(el("td", "mono", check));
      ["fail", "unknown", "manual", "waived", "pass", "not_applicable"].forEach(function (st) {
        var n = counts[check][st] || 0;
        tr.appendChild(el("td", "num" + (st === "fail" && n ? " n-fail" : ""), n ? fmt(n) : "·"));
      });
      tr.addEventListener("click", function () { filterTo("check", check); });
      fragment.appendChild(tr);
    });
    body.appendChild(fragment);
  }

  /* The remediation command with the finding's own names where it has placeholders:
     <rg>/<resource-group>, the resource's own name by its type, its id, its subscription.
     A placeholder the finding cannot fill (a new name to choose) stays as it is. */
  var NAME_BY_TYPE = {
    "microsoft.storage/storageaccounts": "account", "microsoft.keyvault/vaults": "vault",
    "microsoft.sql/servers": "server", "microsoft.operationalinsights/workspaces": "workspace",
    "microsoft.compute/virtualmachines": "vm", "microsoft.compute/disks": "disk",
    "microsoft.compute/diskencryptionsets": "des", "microsoft.keyvault/managedhsms": "hsm"
  };
  var ID_BY_TYPE = {
    "microsoft.storage/storageaccounts": "account-id", "microsoft.keyvault/vaults": "vault-id",
    "microsoft.operationalinsights/workspaces": "workspace-id"
  };

  function filled(cli, f) {
    if (!cli) { return cli; }
    var id = f[RID] || "", type = (f[RTYPE] || "").toLowerCase();
    var parts = id.replace(/^\/+|\/+$/g, "").split("/");
    var values = {};
    var group = groupOf(id) && parts[3];
    if (group) { values.rg = group; values["resource-group"] = group; }
    if (f[SUB]) { values["subscription-id"] = f[SUB]; }
    if (NAME_BY_TYPE[type]) { values[NAME_BY_TYPE[type]] = parts[parts.length - 1]; }
    if (ID_BY_TYPE[type]) { values[ID_BY_TYPE[type]] = id; }
    var key = /\/providers\/microsoft\.keyvault\/vaults\/([^/]+)\/keys\/([^/]+)/i.exec(id);
    if (key) { values.vault = key[1]; values.key = key[2]; }
    return cli.replace(/<([a-z0-9-]+)>/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : whole;
    });
  }

  function portalLink(f) {
    var id = f[RID] || "";
    if (!/^\/subscriptions\//i.test(id) || !settings.portal) { return null; }
    return settings.portal + "/#@" + encodeURIComponent(settings.tenant || "") +
      "/resource" + id.split("/").map(encodeURIComponent).join("/");
  }

  function buildHay() {
    hay = new Array(findings.length);
    for (var i = 0; i < findings.length; i++) {
      var f = findings[i], r = rules[f[RULE]];
      hay[i] = [f[RID], f[RTYPE], f[LOC] || "", f[REASON], f[FP], r[R_CHECK], r[R_TITLE],
                r[R_REQ], r[R_CONTROLS].join(" ")].join("\n").toLowerCase();
    }
  }

  function current() {
    var s = {};
    FILTERS.forEach(function (k) { s[k] = controls[k].value; });
    return s;
  }

  /* Short name of an ARM id, and a line saying where it is. */
  function describe(f) {
    var id = f[RID] || "";
    var parts = id.replace(/^\/+|\/+$/g, "").split("/");
    var lower = parts.map(function (p) { return p.toLowerCase(); });
    var subName = f[SUB] ? (settings.subscriptions[f[SUB].toLowerCase()] || f[SUB]) : "";
    if (lower[0] === "tenants" && parts.length === 2) { return ["tenant", parts[1]]; }
    if (lower[0] !== "subscriptions" || parts.length < 2) { return [id, f[RTYPE] || ""]; }
    if (parts.length === 2) { return ["subscription", subName || parts[1]]; }
    if (lower[2] === "resourcegroups" && parts.length === 4) {
      return [parts[3], "resource group · " + subName];
    }
    var type = (f[RTYPE] || "").split("/").pop();
    var group = lower[2] === "resourcegroups" ? parts[3] : "";
    return [parts[parts.length - 1], [type, group, subName].filter(Boolean).join(" · ")];
  }

  function row(i) {
    var f = findings[i], r = rules[f[RULE]];
    var tr = el("tr", "row");
    tr.tabIndex = 0;
    tr.setAttribute("data-index", String(i));
    tr.setAttribute("data-status", f[STATUS]);
    tr.setAttribute("data-step", r[R_STEP]);
    tr.setAttribute("aria-expanded", "false");

    var td = el("td");
    td.appendChild(el("span", "badge st-" + f[STATUS], STATUS_LABEL[f[STATUS]] || f[STATUS]));
    tr.appendChild(td);

    td = el("td");
    td.appendChild(el("span", "sv sv-" + f[SEV], f[SEV]));
    tr.appendChild(td);

    tr.appendChild(el("td", "cell-step", r[R_STEP]));

    td = el("td", "cell-check");
    td.appendChild(el("span", "title", r[R_TITLE]));
    td.appendChild(el("span", "id", r[R_CHECK]));
    td.title = r[R_TITLE] + "\n" + r[R_CHECK];
    tr.appendChild(td);

    var where = describe(f);
    td = el("td", "cell-res");
    td.appendChild(el("span", "name", where[0]));
    td.appendChild(el("span", "sub", where[1]));
    td.title = f[RID];
    tr.appendChild(td);

    td = el("td", "cell-reason");
    td.appendChild(el("span", null, f[REASON]));
    td.title = f[REASON];
    tr.appendChild(td);
    return tr;
  }

  function section(parent, title, className) {
    var div = el("div", className || null);
    div.appendChild(el("h3", null, title));
    parent.appendChild(div);
    return div;
  }

  function safeLink(url) {
    // Only plain https links: never javascript:, data: or a relative path.
    return typeof url === "string" && /^https:\/\/[^\s]+$/i.test(url);
  }

  function detail(i) {
    var f = findings[i], r = rules[f[RULE]], rem = r[R_REM] || {};
    var tr = el("tr", "detail");
    var td = el("td");
    td.colSpan = 6;
    var body = el("div", "detail-body");
    td.appendChild(body);
    tr.appendChild(td);

    section(body, "Reason", "full").appendChild(el("p", null, f[REASON]));

    var facts = section(body, "Finding");
    var dl = el("dl");
    var subName = f[SUB] ? (settings.subscriptions[f[SUB].toLowerCase()] || f[SUB]) : "—";
    [["Resource", f[RID]], ["Type", f[RTYPE] || "—"], ["Subscription", subName],
     ["Location", f[LOC] || "—"], ["Check", r[R_CHECK]], ["Requirement", r[R_REQ]],
     ["Step", r[R_STEP] + " · " + (settings.steps[r[R_STEP]] || "")],
     ["Controls", r[R_CONTROLS].join(", ")], ["Severity", f[SEV]],
     ["Fingerprint", f[FP]]].forEach(function (pair) {
      dl.appendChild(el("dt", null, pair[0]));
      dl.appendChild(el("dd", null, pair[1]));
    });
    facts.appendChild(dl);

    var fix = section(body, "Remediation");
    fix.appendChild(el("p", null, rem.summary || "—"));
    if (rem.cli) {
      var pre = el("pre", "cli");
      pre.appendChild(el("code", null, filled(rem.cli, f)));
      fix.appendChild(pre);
    }
    var portal = portalLink(f);
    if (portal && safeLink(portal)) {
      var open = el("p", "portal");
      var link = el("a", null, "Open in the Azure portal");
      link.href = portal;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      open.appendChild(link);
      fix.appendChild(open);
    }
    if (rem.docs) {
      var p = el("p");
      if (safeLink(rem.docs)) {
        var a = el("a", null, rem.docs);
        a.href = rem.docs;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        p.appendChild(a);
      } else {
        p.textContent = rem.docs;
      }
      fix.appendChild(p);
    }

    var evidence = f[EVIDENCE];
    var ev = section(body, "Evidence", "full");
    if (evidence && Object.keys(evidence).length) {
      ev.appendChild(el("pre", "evidence", JSON.stringify(evidence, null, 2)));
    } else {
      ev.appendChild(el("p", "muted", "No evidence recorded."));
    }
    if (f[WAIVER]) {
      section(body, "Waiver", "full").appendChild(
        el("pre", "evidence", JSON.stringify(f[WAIVER], null, 2)));
    }
    return tr;
  }

  function toggle(tr) {
    var next = tr.nextElementSibling;
    if (next && next.classList.contains("detail")) {
      next.remove();
      tr.classList.remove("open");
      tr.setAttribute("aria-expanded", "false");
      return;
    }
    tr.after(detail(Number(tr.getAttribute("data-index"))));
    tr.classList.add("open");
    tr.setAttribute("aria-expanded", "true");
  }

  function drawMore() {
    var fragment = document.createDocumentFragment();
    var end = Math.min(shown + PAGE, matches.length);
    for (var k = shown; k < end; k++) { fragment.appendChild(row(matches[k])); }
    tbody.appendChild(fragment);
    shown = end;
    var left = matches.length - shown;
    moreButton.hidden = left <= 0;
    moreButton.textContent = "Show " + fmt(Math.min(PAGE, left)) + " more (" + fmt(left) +
      " not shown)";
    if (!matches.length) {
      resultLine.textContent = "No finding matches these filters (" + fmt(findings.length) +
        " in the report).";
    } else if (shown === matches.length) {
      resultLine.textContent = "Showing all " + fmt(matches.length) + " matching findings (" +
        fmt(findings.length) + " in the report). Click a row for its evidence and remediation.";
    } else {
      resultLine.textContent = "Showing 1–" + fmt(shown) + " of " + fmt(matches.length) +
        " matching findings (" + fmt(findings.length) + " in the report).";
    }
    document.body.setAttribute("data-shown", String(shown));
  }

  /* "" (default): fail, unknown, manual, waived, pass, n/a, each most severe first;
     "report": the order of the JSON report (framework step, requirement, check, resource). */
  function order(list, how) {
    if (how === "report") { return list; }
    var key;
    if (how === "severity") {
      key = function (i) { var f = findings[i]; return [SEV_RANK[f[SEV]], STATUS_RANK[f[STATUS]]]; };
    } else if (!how) {
      key = function (i) { var f = findings[i]; return [STATUS_RANK[f[STATUS]], SEV_RANK[f[SEV]]]; };
    } else {
      key = function (i) { return [findings[i][RID].toLowerCase(), 0]; };
    }
    var keyed = list.map(function (i) { return [key(i), i]; });
    keyed.sort(function (a, b) {
      var x = a[0], y = b[0];
      if (x[0] !== y[0]) { return x[0] < y[0] ? -1 : 1; }
      if (x[1] !== y[1]) { return x[1] < y[1] ? -1 : 1; }
      return a[1] - b[1];
    });
    return keyed.map(function (pair) { return pair[1]; });
  }

  function writeHash(s) {
    var params = [];
    FILTERS.forEach(function (k) {
      if (s[k]) { params.push(k + "=" + encodeURIComponent(s[k])); }
    });
    try {
      history.replaceState(null, "", params.length ? "#" + params.join("&") : location.pathname);
    } catch (e) { /* some file:// contexts refuse replaceState; filters still work */ }
  }

  function readHash() {
    location.hash.replace(/^#/, "").split("&").forEach(function (pair) {
      var at = pair.indexOf("=");
      if (at < 0) { return; }
      var k = pair.slice(0, at), v = decodeURIComponent(pair.slice(at + 1));
      var control = controls[k];
      if (!control) { return; }
      if (control.tagName === "SELECT" &&
          !Array.prototype.some.call(control.options, function (o) { return o.value === v; })) {
        return;
      }
      control.value = v;
    });
  }

  function apply() {
    var started = performance.now();
    var s = current();
    var terms = s.text.toLowerCase().split(/\s+/).filter(Boolean);
    if (terms.length && !hay) { buildHay(); }
    var out = [];
    for (var i = 0; i < findings.length; i++) {
      var f = findings[i];
      if (s.status && f[STATUS] !== s.status) { continue; }
      if (s.severity && f[SEV] !== s.severity) { continue; }
      if (s.step && rules[f[RULE]][R_STEP] !== s.step) { continue; }
      if (s.check && rules[f[RULE]][R_CHECK] !== s.check) { continue; }
      if (s.group && groups[i] !== s.group) { continue; }
      if (s.subscription && (s.subscription === "-" ? subs[i] !== "" : subs[i] !== s.subscription)) {
        continue;
      }
      if (terms.length) {
        var h = hay[i], ok = true;
        for (var t = 0; t < terms.length; t++) {
          if (h.indexOf(terms[t]) < 0) { ok = false; break; }
        }
        if (!ok) { continue; }
      }
      out.push(i);
    }
    matches = order(out, s.sort);
    shown = 0;
    tbody.textContent = "";
    drawMore();
    writeHash(s);
    document.body.setAttribute("data-matches", String(matches.length));
    document.body.setAttribute("data-filter-ms", (performance.now() - started).toFixed(1));
  }

  function filterTo(name, value) {
    var control = controls[name];
    control.value = control.value === value ? "" : value;  // a second click clears
    apply();
    $("findings").scrollIntoView({ behavior: "auto", block: "start" });
  }

  var typing = null;
  FILTERS.forEach(function (k) {
    if (k !== "text") { controls[k].addEventListener("change", apply); }
  });
  controls.text.addEventListener("input", function () {
    clearTimeout(typing);
    typing = setTimeout(apply, 150);
  });
  $("filters").addEventListener("submit", function (e) { e.preventDefault(); apply(); });
  $("filters").addEventListener("reset", function () { setTimeout(apply, 0); });
  moreButton.addEventListener("click", drawMore);
  tbody.addEventListener("click", function (e) {
    var tr = e.target.closest("tr.row");
    if (tr) { toggle(tr); }
  });
  tbody.addEventListener("keydown", function (e) {
    if ((e.key === "Enter" || e.key === " ") && e.target.matches("tr.row")) {
      e.preventDefault();
      toggle(e.target);
    }
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-status].legend-item"),
    function (b) { b.addEventListener("click", function () { filterTo("status", b.getAttribute("data-status")); }); });
  Array.prototype.forEach.call(document.querySelectorAll(".step-row"),
    function (b) { b.addEventListener("click", function () { filterTo("step", b.getAttribute("data-step")); }); });
  Array.prototype.forEach.call(document.querySelectorAll(".sev-row"), function (b) {
    b.addEventListener("click", function () {
      controls.status.value = "fail";
      filterTo("severity", b.getAttribute("data-severity"));
    });
  });

  buildIndexes();
  buildRollup();
  readHash();
  apply();
  document.body.setAttribute("data-ready", "1");
})();
