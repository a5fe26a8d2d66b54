/* The offline check page (/verify/offline): checks a certificate's signed statement (a JWS, RFC 7515)
   with the public keys written into the page, by WebCrypto's Ed25519 (no cryptography of its own).
   The statement comes from the address's fragment (the QR code's address, or a copy of this page
   served for /verify/...) or from the text box. Inline in the page, so that a saved copy works alone. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("check-data").textContent);
  var t = data.text;
  var result = document.getElementById("result");
  var field = document.getElementById("statement");
  var button = document.getElementById("check");

  function bytes(part) {
    if (!/^[A-Za-z0-9_-]+$/.test(part)) throw new Error("not base64url");
    var b64 = part.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var text = atob(b64), out = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }

  function json(part) {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes(part)));
  }

  function add(parent, tag, text, className) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    if (className) node.className = className;
    parent.appendChild(node);
    return node;
  }

  function show(kind, verdict, reason) {
    result.textContent = "";
    result.className = kind;
    add(result, "p", verdict, "verdict");
    if (reason) add(result, "p", reason);
    return result;
  }

  function date(iso) {
    try {
      return new Intl.DateTimeFormat(data.lang, { dateStyle: "long", timeZone: "UTC" }).format(new Date(iso + "T00:00:00Z"));
    } catch (e) {
      return iso;
    }
  }

  function key(x) {
    return crypto.subtle.importKey("raw", bytes(x), { name: "Ed25519" }, false, ["verify"]);
  }

  async function check(text) {
    text = (text || "").replace(/\s+/g, "");
    if (text.indexOf("#") >= 0) text = text.slice(text.indexOf("#") + 1);
    var parts = text.split("."), header, claims, signature, known = null;
    try {
      if (parts.length !== 3) throw new Error("parts");
      header = json(parts[0]);
      claims = json(parts[1]);
      signature = bytes(parts[2]);
      if (header.alg !== "EdDSA" || typeof header.kid !== "string") throw new Error("header");
      ["c", "n", "m", "d"].forEach(function (name) {
        if (typeof claims[name] !== "string") throw new Error("claims");
      });
      if (!/^\d{4}-\d{2}-\d{2}$/.test(claims.d)) throw new Error("date");
    } catch (e) {
      return show("bad", t.not_genuine, t.malformed);
    }
    data.keys.forEach(function (k) { if (k.kid === header.kid) known = k; });
    if (!known) return show("bad", t.not_confirmed, t.unknown_key);
    var signed = new TextEncoder().encode(parts[0] + "." + parts[1]), valid = false;
    try {
      valid = await crypto.subtle.verify({ name: "Ed25519" }, await key(known.x), signature, signed);
    } catch (e) {
      valid = false;
    }
    if (!valid) return show("bad", t.not_genuine, t.tampered);
    show("good", t.genuine);
    var list = add(result, "dl");
    [[t.name, claims.n], [t.module, claims.m], [t.date, date(claims.d)], [t.code, claims.c]].forEach(function (row) {
      add(list, "dt", row[0]);
      add(list, "dd", row[1]);
    });
    add(result, "p", t.revocation);
    var online = add(add(result, "p"), "a", data.online + "/" + encodeURIComponent(claims.c));
    online.href = online.textContent;
  }

  function fromHash() {
    if (location.hash.length > 1) {
      field.value = location.hash.slice(1);
      check(field.value);
    }
  }

  document.getElementById("paste").addEventListener("submit", function (event) {
    event.preventDefault();
    if (!button.disabled) check(field.value);
  });

  (async function () {
    try {
      if (!window.crypto || !crypto.subtle) throw new Error("no WebCrypto");
      await key(data.keys[0].x);
    } catch (e) {
      button.disabled = true;
      show("bad", t.unsupported);
      return;
    }
    window.addEventListener("hashchange", fromHash);
    fromHash();
  })();
})();
