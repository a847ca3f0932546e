import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
console.log(await tf.setBackend("wasm"), tf.getBackend());
for (const k of ["Conv2D","Conv2DBackpropFilter","Conv2DBackpropInput","MaxPool","MaxPoolGrad","Transpose","PadV2","Reverse","FusedBatchNorm","Relu","Mean"]) console.log(k, !!tf.getKernel(k,"wasm"));
console.log(tf.env().getBool("WASM_HAS_SIMD_SUPPORT"), tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT"));
