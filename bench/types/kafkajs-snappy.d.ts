// kafkajs-snappy ships no types: a codec factory, as kafkajs's CompressionCodecs takes it.
declare module 'kafkajs-snappy' {
  const SnappyCodec: () => unknown;
  export default SnappyCodec;
}
