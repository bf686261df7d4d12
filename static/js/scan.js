// The pack form's camera scanner (issue 22). Progressive: without JavaScript, or without a
// camera, the section stays hidden and the patient types the code, the batch and the expiry, or
// sends a photo. The browser's BarcodeDetector reads the DataMatrix where it exists; elsewhere
// the decoder of @zxing/library, served by the app from static/vendor (never a CDN), is loaded
// on demand. The code read goes into the form's "code" field and the form is submitted with
// "Read the code": the server parses it (biip) and fills in the batch and expiry, saving nothing.
(function () {
  "use strict";

  var section = document.querySelector("[data-scanner]");
  if (!section || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  var form = document.getElementById("pack-form");
  var video = section.querySelector("[data-scanner-video]");
  var status = section.querySelector("[data-scanner-status]");
  var startButton = section.querySelector("[data-scanner-start]");
  var stopButton = section.querySelector("[data-scanner-stop]");
  var stream = null;
  var timer = null;
  section.hidden = false;

  function say(text) {
    status.textContent = text;
  }

  function stop() {
    if (timer) {
      window.clearTimeout(timer);
      timer = null;
    }
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }
    video.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
  }

  function found(text) {
    stop();
    say(section.getAttribute("data-found") || "");
    form.querySelector("[name=code]").value = text.replace(/\u001d/g, "<GS>");
    form.querySelector("[data-scanner-read]").click();
  }

  function nativeDetector() {
    if (!("BarcodeDetector" in window)) {
      return Promise.resolve(null);
    }
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("data_matrix") < 0) {
        return null;
      }
      var detector = new window.BarcodeDetector({ formats: ["data_matrix"] });
      return function (source) {
        return detector.detect(source).then(function (codes) {
          return codes.length ? codes[0].rawValue : null;
        });
      };
    }).catch(function () { return null; });
  }

  function loadVendor() {
    return new Promise(function (resolve, reject) {
      if (window.ZXing) {
        resolve(window.ZXing);
        return;
      }
      var script = document.createElement("script");
      script.src = section.getAttribute("data-vendor");
      script.onload = function () { resolve(window.ZXing); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function vendorDetector() {
    return loadVendor().then(function (ZXing) {
      var hints = new Map();
      hints.set(ZXing.DecodeHintType.POSSIBLE_FORMATS, [ZXing.BarcodeFormat.DATA_MATRIX]);
      hints.set(ZXing.DecodeHintType.TRY_HARDER, true);
      var reader = new ZXing.MultiFormatReader();
      reader.setHints(hints);
      var canvas = document.createElement("canvas");
      var context = canvas.getContext("2d", { willReadFrequently: true });
      return function (source) {
        canvas.width = source.videoWidth;
        canvas.height = source.videoHeight;
        context.drawImage(source, 0, 0);
        var luminance = new ZXing.HTMLCanvasElementLuminanceSource(canvas);
        var bitmap = new ZXing.BinaryBitmap(new ZXing.HybridBinarizer(luminance));
        try {
          return Promise.resolve(reader.decode(bitmap).getText());
        } catch (error) {
          return Promise.resolve(null);  // no code in this frame
        }
      };
    });
  }

  function start() {
    say(section.getAttribute("data-starting") || "");
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        startButton.hidden = true;
        stopButton.hidden = false;
        return video.play();
      })
      .then(nativeDetector)
      .then(function (detect) { return detect || vendorDetector(); })
      .then(function (detect) {
        say(section.getAttribute("data-looking") || "");
        function tick() {
          if (!stream) {
            return;
          }
          if (video.readyState < 2) {
            timer = window.setTimeout(tick, 200);
            return;
          }
          detect(video).then(function (text) {
            if (text) {
              found(text);
            } else if (stream) {
              timer = window.setTimeout(tick, 250);
            }
          }, function () {
            timer = window.setTimeout(tick, 500);
          });
        }
        tick();
      })
      .catch(function () {
        stop();
        say(section.getAttribute("data-failed") || "");
      });
  }

  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", function () {
    stop();
    say("");
  });
})();
