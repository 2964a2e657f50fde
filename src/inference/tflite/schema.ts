/**
 * The few constants of TensorFlow Lite's flatbuffer schema (tensorflow/lite/schema/schema.fbs)
 * that the YAMNet converter needs. Field ids are the order of the fields in the .fbs tables;
 * a flatbuffer vtable slot is 4 + 2 × id.
 */

/** `enum TensorType : byte` */
export const TensorType = {
  FLOAT32: 0,
  FLOAT16: 1,
  INT32: 2,
  UINT8: 3,
  INT64: 4,
  STRING: 5,
  BOOL: 6,
  INT16: 7,
  COMPLEX64: 8,
  INT8: 9,
  FLOAT64: 10,
} as const;

export const TENSOR_TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(TensorType).map(([k, v]) => [v, k]),
);

/** `enum BuiltinOperator : int32` — only the codes the converter looks for or names in errors. */
export const BuiltinOperator = {
  ADD: 0,
  AVERAGE_POOL_2D: 1,
  CONCATENATION: 2,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 4,
  DEQUANTIZE: 6,
  FULLY_CONNECTED: 9,
  LOGISTIC: 14,
  MAX_POOL_2D: 17,
  MUL: 18,
  RELU: 19,
  RELU6: 21,
  RESHAPE: 22,
  SOFTMAX: 25,
  PAD: 34,
  GATHER: 36,
  TRANSPOSE: 39,
  MEAN: 40,
  SQUEEZE: 43,
  STRIDED_SLICE: 45,
  QUANTIZE: 114,
  LOG: 73,
  RFFT2D: 131,
  COMPLEX_ABS: 135,
} as const;

export const BUILTIN_OPERATOR_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(BuiltinOperator).map(([k, v]) => [v, k]),
);

/** `enum ActivationFunctionType : byte` */
export const Activation = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4, SIGN_BIT: 5 } as const;

/** `enum Padding : byte` */
export const Padding = { SAME: 0, VALID: 1 } as const;

/** Field ids per table (schema.fbs order). */
export const F = {
  Model: { version: 0, operator_codes: 1, subgraphs: 2, description: 3, buffers: 4 },
  OperatorCode: { deprecated_builtin_code: 0, custom_code: 1, version: 2, builtin_code: 3 },
  SubGraph: { tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4 },
  // quantization is a table; 5 is_variable, 6 sparsity, 7 shape_signature (unused here)
  Tensor: { shape: 0, type: 1, buffer: 2, name: 3, quantization: 4 },
  // 4/5 are the `details` union (type byte + table), so quantized_dimension is 6
  QuantizationParameters: { min: 0, max: 1, scale: 2, zero_point: 3, quantized_dimension: 6 },
  // 3/4 are the `builtin_options` union (type byte + table)
  Operator: { opcode_index: 0, inputs: 1, outputs: 2, builtin_options_type: 3, builtin_options: 4 },
  // offset/size describe data stored after the flatbuffer (models > 2 GB)
  Buffer: { data: 0, offset: 1, size: 2 },
  Conv2DOptions: {
    padding: 0,
    stride_w: 1,
    stride_h: 2,
    fused_activation_function: 3,
    dilation_w_factor: 4,
    dilation_h_factor: 5,
  },
  DepthwiseConv2DOptions: {
    padding: 0,
    stride_w: 1,
    stride_h: 2,
    depth_multiplier: 3,
    fused_activation_function: 4,
    dilation_w_factor: 5,
    dilation_h_factor: 6,
  },
  FullyConnectedOptions: { fused_activation_function: 0, weights_format: 1, keep_num_dims: 2 },
  ReducerOptions: { keep_dims: 0 },
} as const;
