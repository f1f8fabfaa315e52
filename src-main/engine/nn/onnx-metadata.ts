import { onnx } from 'onnx-proto';

/** The model's metadata_props as key/values (each exporter writes its config as JSON under its own key). */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  const model = onnx.ModelProto.decode(bytes);
  const out: Record<string, string> = {};
  for (const { key, value } of model.metadataProps) if (key) out[key] = value ?? '';
  return out;
}
