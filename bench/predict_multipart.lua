-- wrk script: POST /predict with the tutorial client's multipart upload (field "img").
-- Usage: wrk -t2 -c32 -d10s --latency -s bench/predict_multipart.lua http://127.0.0.1:8000/predict -- FILE.png
local boundary = "9f2d3c4b5a6978877665544332211000"

function init(args)
  local file = assert(io.open(args[1], "rb"))
  local png = file:read("*all")
  file:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
  wrk.body = "--" .. boundary .. "\r\n" ..
    'Content-Disposition: form-data; name="img"; filename="image.png"\r\n' ..
    "Content-Type: image/png\r\n\r\n" .. png .. "\r\n--" .. boundary .. "--\r\n"
end

-- Count non-200 answers so a fast run of errors is not mistaken for a fast server.
local bad = 0
function response(status)
  if status ~= 200 then bad = bad + 1 end
end
