// The browser script callsightd serves at /dni.js (docs/dynamic-numbers.md, "The browser
// script"): plain JavaScript that runs as written, no build step and no dependency, kept here
// so the binary serves exactly the script its API speaks to.
#include "api/dni_script.hpp"

namespace callsight::api {

std::string_view browser_script() {
  static constexpr std::string_view kScript = R"js(
/* Callsight dynamic numbers (docs/dynamic-numbers.md, "The browser script"). */
(function () {
  "use strict";
  var w = window, d = document;
  var TIMEOUT_MS = 1500, VISITOR_DAYS = 365, SESSION_MINUTES = 30;
  var VISITOR = "callsight_visitor", SESSION = "callsight_session";
  var SKIP = { SCRIPT: 1, STYLE: 1, NOSCRIPT: 1, TEXTAREA: 1, INPUT: 1, SELECT: 1, OPTION: 1 };
  var MARKED = "[data-callsight-number],.fs-dynamic-number";
  var SEP = "[\\s\\u00a0\\-.()/]*";
  var me = d.currentScript;
  // Callsight's address: where the script came from, or data-server when the site serves
  // the script itself.
  var base = me ? me.getAttribute("data-server") || me.src.replace(/\/dni\.js(\?.*)?$/, "") : "";
  var advid = me ? me.getAttribute("data-advid") : null;
  var state = { consent: !!(me && me.getAttribute("data-consent") === "1"), session: null,
                visitor: null, answer: null, asked: 0, timer: null, changed: [] };

  function safely(fn) {
    return function () {
      try { return fn.apply(this, arguments); } catch (e) { return undefined; }
    };
  }

  function cookie(name) {
    var m = d.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : null;
  }

  function setCookie(name, value, seconds) {
    d.cookie = name + "=" + encodeURIComponent(value) + "; Max-Age=" + seconds +
      "; Path=/; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
  }

  function remember() {
    if (!state.consent || !state.answer) return;
    setCookie(SESSION, state.answer.session_id, SESSION_MINUTES * 60);
    if (state.answer.visitor_id) setCookie(VISITOR, state.answer.visitor_id, VISITOR_DAYS * 86400);
  }

  // The digits with any separators between them.
  function digitsPattern(digits) {
    return digits.split("").join(SEP);
  }

  // The ways a number may be printed: national (08-123 45 67) or international (+46 8 ...,
  // 0046 (0)8 ...), with any separators, never inside a longer run of digits.
  function matcher(printed) {
    var national = printed.formatted.replace(/\D/g, "");
    var significant = national.replace(/^0/, "");
    var international = printed.e164.slice(1);
    var country = international.slice(0, international.length - significant.length);
    var alternatives = [
      "(?:\\+|00)" + SEP + digitsPattern(country) + SEP + "(?:\\(0\\)" + SEP + ")?" +
        digitsPattern(significant),
      "\\(?" + digitsPattern(national)
    ];
    return new RegExp("(?<![\\d+])(?:" + alternatives.join("|") + ")(?!\\d)", "g");
  }

  function rewrite(text, answer) {
    var out = text;
    answer.numbers_to_replace.forEach(function (printed) {
      out = out.replace(matcher(printed), function (found) {
        return /^(\+|00)/.test(found) ? answer.number : answer.formatted_number;
      });
    });
    return out;
  }

  function printsANumber(text, answer) {
    return answer.numbers_to_replace.some(function (printed) {
      return matcher(printed).test(text);
    });
  }

  function read(node, key) {
    return key === "href" ? node.getAttribute("href") : node[key];
  }

  function write(node, key, value) {
    if (key === "href") node.setAttribute("href", value); else node[key] = value;
  }

  function change(node, key, value) {
    var original = read(node, key);
    if (original === value) return;
    state.changed.push({ node: node, key: key, original: original, value: value });
    write(node, key, value);
  }

  // Puts back what an earlier answer changed, so a new answer starts from the page's own text.
  // What the page has changed since (a single-page app updating a node in place) stays as the
  // page made it.
  function restore() {
    for (var i = state.changed.length - 1; i >= 0; i--) {
      var c = state.changed[i];
      if (read(c.node, c.key) === c.value) write(c.node, c.key, c.original);
    }
    state.changed = [];
  }

  function skipped(node) {
    for (var e = node.parentNode; e && e.nodeType === 1; e = e.parentNode) {
      if (SKIP[e.nodeName] || e.hasAttribute("data-callsight-noswap") || e.isContentEditable ||
          e.matches(MARKED)) {
        return true;
      }
    }
    return false;
  }

  function replaceNumbers(answer) {
    restore();
    if (!answer || !answer.number || !d.body) return;
    var walker = d.createTreeWalker(d.body, NodeFilter.SHOW_TEXT), nodes = [], n;
    while ((n = walker.nextNode())) nodes.push(n);
    nodes.forEach(function (node) {
      if (!/\d/.test(node.nodeValue) || skipped(node)) return;
      var value = rewrite(node.nodeValue, answer);
      if (value !== node.nodeValue) change(node, "nodeValue", value);
    });
    Array.prototype.forEach.call(d.querySelectorAll("a[href^='tel:']"), function (a) {
      if (printsANumber(decodeURIComponent(a.getAttribute("href").slice(4)), answer)) {
        change(a, "href", "tel:" + answer.number);
      }
    });
    Array.prototype.forEach.call(d.querySelectorAll(MARKED), function (e) {
      if (e.children.length === 0) change(e, "textContent", answer.formatted_number);
    });
  }

  function ask() {
    var asked = ++state.asked;
    var q = { advid: advid, url: location.href, referrer: d.referrer, consent: state.consent ? 1 : 0 };
    if (state.session) q.session_id = state.session;
    if (state.consent && state.visitor) q.visitor_id = state.visitor;
    var ga = cookie("_ga");
    if (ga) q.ga = ga;
    var controller = w.AbortController ? new AbortController() : null;
    var timeout = setTimeout(function () { if (controller) controller.abort(); }, TIMEOUT_MS);
    var started = Date.now();
    return fetch(base + "/dni/number?" + new URLSearchParams(q), {
      credentials: "omit", signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(safely(function (answer) {
      clearTimeout(timeout);
      // Too late or superseded: the page keeps what it shows.
      if (!answer || asked !== state.asked || Date.now() - started > TIMEOUT_MS) return;
      state.answer = answer;
      state.session = answer.session_id;
      if (answer.visitor_id) state.visitor = answer.visitor_id;
      remember();
      replaceNumbers(answer);
      schedule(Number(answer.heartbeat_seconds) * 1000);
    }))["catch"](function () { clearTimeout(timeout); });
  }

  function schedule(ms) {
    clearInterval(state.timer);
    if (ms > 0) state.timer = setInterval(safely(heartbeat), ms);
  }

  function heartbeat() {
    var answer = state.answer;
    if (!answer || d.visibilityState !== "visible") return;
    var body = new URLSearchParams({ advid: advid, pool_id: answer.pool_id,
                                     session_id: answer.session_id });
    fetch(base + "/dni/heartbeat", { method: "POST", body: body, credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(safely(function (result) {
        if (result && result.leased === "0") ask(); else remember();
      }))["catch"](function () {});
  }

  var api = {
    // The visitor consented: from now on the script keeps its cookies and a visitor id.
    consent: safely(function () {
      if (state.consent) return;
      state.consent = true;
      state.session = cookie(SESSION) || state.session;
      state.visitor = cookie(VISITOR);
      if (advid) ask();
    }),
    // A single-page app showed a new page: ask again (the session keeps its number) and
    // replace the numbers the new page prints.
    trackPage: safely(function () { if (advid) ask(); }),
    // The number shown, or null.
    number: safely(function () { return state.answer ? state.answer.number : null; })
  };

  safely(function () {
    var queued = w.Callsight;
    w.Callsight = api;
    if (state.consent) {
      state.session = cookie(SESSION);
      state.visitor = cookie(VISITOR);
    }
    if (queued && queued.indexOf && queued.indexOf("consent") >= 0) {
      state.consent = true;
      state.session = cookie(SESSION);
      state.visitor = cookie(VISITOR);
    }
    if (!advid || !w.fetch) return;
    d.addEventListener("visibilitychange", safely(function () {
      if (d.visibilityState === "visible") heartbeat();
    }));
    if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", safely(ask));
    else ask();
  })();
})();
)js";
  return kScript.substr(1);  // without the newline after the raw string's opening
}

}  // namespace callsight::api
