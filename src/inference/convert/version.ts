/**
 * The converter's version, apart from the converter itself: the model check at every analysis
 * start compares it with the manifest without loading the converter (its TFLite reader and
 * protobuf writer cost 45–60 ms of imports).
 */
export const CONVERTER_VERSION = '1.0.0';
