/**
 * The part of onnx.proto (ONNX IR, proto2) that a static model's export writes, as a protobufjs
 * reflection schema: field names in protobufjs' camelCase, numbers and types as in onnx.proto.
 * Repeated scalars are packed (as onnx.proto3 and the onnx-proto package did; parsers accept both).
 * protobufjs 8 does the encoding: unlike protobufjs 6 and 7 it has no install script.
 */
import protobuf from 'protobufjs';

const ONNX_SUBSET = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { id: 1, type: 'int64' },
            opsetImport: { id: 8, type: 'OperatorSetIdProto', rule: 'repeated' },
            producerName: { id: 2, type: 'string' },
            producerVersion: { id: 3, type: 'string' },
            domain: { id: 4, type: 'string' },
            modelVersion: { id: 5, type: 'int64' },
            docString: { id: 6, type: 'string' },
            graph: { id: 7, type: 'GraphProto' },
            metadataProps: { id: 14, type: 'StringStringEntryProto', rule: 'repeated' },
          },
        },
        OperatorSetIdProto: { fields: { domain: { id: 1, type: 'string' }, version: { id: 2, type: 'int64' } } },
        StringStringEntryProto: { fields: { key: { id: 1, type: 'string' }, value: { id: 2, type: 'string' } } },
        GraphProto: {
          fields: {
            node: { id: 1, type: 'NodeProto', rule: 'repeated' },
            name: { id: 2, type: 'string' },
            initializer: { id: 5, type: 'TensorProto', rule: 'repeated' },
            docString: { id: 10, type: 'string' },
            input: { id: 11, type: 'ValueInfoProto', rule: 'repeated' },
            output: { id: 12, type: 'ValueInfoProto', rule: 'repeated' },
          },
        },
        NodeProto: {
          fields: {
            input: { id: 1, type: 'string', rule: 'repeated' },
            output: { id: 2, type: 'string', rule: 'repeated' },
            name: { id: 3, type: 'string' },
            opType: { id: 4, type: 'string' },
            domain: { id: 7, type: 'string' },
            attribute: { id: 5, type: 'AttributeProto', rule: 'repeated' },
            docString: { id: 6, type: 'string' },
          },
        },
        AttributeProto: {
          fields: {
            name: { id: 1, type: 'string' },
            docString: { id: 13, type: 'string' },
            type: { id: 20, type: 'int32' },
            f: { id: 2, type: 'float' },
            i: { id: 3, type: 'int64' },
            s: { id: 4, type: 'bytes' },
            floats: { id: 7, type: 'float', rule: 'repeated' },
            ints: { id: 8, type: 'int64', rule: 'repeated' },
          },
        },
        TensorProto: {
          fields: {
            dims: { id: 1, type: 'int64', rule: 'repeated' },
            dataType: { id: 2, type: 'int32' },
            name: { id: 8, type: 'string' },
            docString: { id: 12, type: 'string' },
            rawData: { id: 9, type: 'bytes' },
          },
        },
        ValueInfoProto: {
          fields: {
            name: { id: 1, type: 'string' },
            type: { id: 2, type: 'TypeProto' },
            docString: { id: 3, type: 'string' },
          },
        },
        TypeProto: {
          fields: { tensorType: { id: 1, type: 'Tensor' }, denotation: { id: 6, type: 'string' } },
          nested: {
            Tensor: { fields: { elemType: { id: 1, type: 'int32' }, shape: { id: 2, type: 'TensorShapeProto' } } },
          },
        },
        TensorShapeProto: {
          fields: { dim: { id: 1, type: 'Dimension', rule: 'repeated' } },
          nested: {
            Dimension: {
              fields: {
                dimValue: { id: 1, type: 'int64' },
                dimParam: { id: 2, type: 'string' },
                denotation: { id: 3, type: 'string' },
              },
            },
          },
        },
      },
    },
  },
};

let modelProto: protobuf.Type | undefined;

/** onnx.ModelProto: `create(object)`, `encode(message).finish()`, `decode(bytes)`. */
export function onnxModelProto(): protobuf.Type {
  modelProto ??= protobuf.Root.fromJSON(ONNX_SUBSET).lookupType('onnx.ModelProto');
  return modelProto;
}
