// The QR code of an otpauth URI, as SVG, drawn in the browser from the page's fragment (#…): a
// browser never sends the fragment to a server, so the TOTP secret reaches no log on the way. Built
// into public/mfa/qr.js with lean-qr by scripts/build-assets.mjs; the Worker's script does not carry
// a QR encoder (see docs/auth.md, "TOTP").
import { generate } from "lean-qr";
import { toSvgSource } from "lean-qr/extras/svg";

const uri = decodeURIComponent(location.hash.slice(1));
if (/^otpauth:\/\/totp\/[^?]+\?(.+&)?secret=[A-Z2-7]+/i.test(uri)) {
  document.getElementById("qr").innerHTML = toSvgSource(generate(uri), { on: "#000", off: "#fff", width: 280, height: 280 });
  document.getElementById("note").textContent = "Scan it, then send a code from the app to POST /platform/mfa/totp/enable.";
}
