// ApiVersions (key 18): the first request on every connection. The response
// always uses response header v0; v3+ carries the client's software name and
// version, which must match [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?.

import { defineApi } from '../api.js';
import { array, field, struct } from '../schema.js';

export interface ApiVersionsRequest {
  clientSoftwareName?: string;
  clientSoftwareVersion?: string;
}

export interface ApiVersionRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: ApiVersionRange[];
  throttleTimeMs: number;
  finalizedFeaturesEpoch: number;
  supportedFeatures: { name: string; minVersion: number; maxVersion: number }[];
  finalizedFeatures: { name: string; maxVersionLevel: number; minVersionLevel: number }[];
}

export const ApiVersions = defineApi<ApiVersionsRequest, ApiVersionsResponse>({
  key: 18,
  name: 'ApiVersions',
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 3,
  request: struct(
    field('clientSoftwareName', 'string', '3+', { default: 'kafka-producer-ts' }),
    field('clientSoftwareVersion', 'string', '3+', { default: '0.1.0' }),
  ),
  response: struct(
    field('errorCode', 'int16', '0+'),
    field('apiKeys', array(struct(field('apiKey', 'int16', '0+'), field('minVersion', 'int16', '0+'), field('maxVersion', 'int16', '0+'))), '0+'),
    field('throttleTimeMs', 'int32', '1+', { default: 0 }),
    field('supportedFeatures', array(struct(field('name', 'string', '3+'), field('minVersion', 'int16', '3+'), field('maxVersion', 'int16', '3+'))), '3+', { tag: 0, default: [] }),
    field('finalizedFeaturesEpoch', 'int64', '3+', { tag: 1, default: -1 }),
    field('finalizedFeatures', array(struct(field('name', 'string', '3+'), field('maxVersionLevel', 'int16', '3+'), field('minVersionLevel', 'int16', '3+'))), '3+', { tag: 2, default: [] }),
    field('zkMigrationReady', 'bool', '3+', { tag: 3, default: false }),
  ),
});
