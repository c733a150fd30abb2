/** Pool entries for tests: an OpenAI-kind one and an Azure one (classic route), overridable. */
import type { PoolEntry } from '../../src/pool-config/entry'

export function openaiEntry(overrides: Partial<PoolEntry> = {}): PoolEntry {
  return {
    name: 'primary',
    kind: 'openai',
    baseUrl: 'https://api.openai.test/v1',
    keyName: 'OPENAI_KEY',
    apiKey: 'sk-openai',
    models: ['gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5', 'gpt-image-2'],
    deployments: {},
    apiVersion: null,
    weight: 1,
    imagesPerMinute: null,
    ...overrides,
  }
}

export function azureEntry(overrides: Partial<PoolEntry> = {}): PoolEntry {
  return {
    name: 'azure-east',
    kind: 'azure',
    baseUrl: 'https://res-east.openai.azure.com',
    keyName: 'AZURE_EAST_KEY',
    apiKey: 'az-key',
    models: ['gpt-image-1', 'gpt-image-1-mini'],
    deployments: { 'gpt-image-1': 'img1', 'gpt-image-1-mini': 'mini' },
    apiVersion: '2025-04-01-preview',
    weight: 1,
    imagesPerMinute: null,
    ...overrides,
  }
}

/** The issue's two entries, as an operator pastes them. */
export const PRIMARY = {
  name: 'primary',
  kind: 'openai',
  base_url: 'https://api.openai.com/v1',
  key: 'UPSTREAM_API_KEY',
  models: ['gpt-image-1', 'gpt-image-2'],
  weight: 1,
  images_per_minute: 5,
}
export const AZURE_EAST = {
  name: 'azure-east',
  kind: 'azure',
  base_url: 'https://res-east.openai.azure.com',
  key: 'AZURE_EAST_KEY',
  api_version: '2025-04-01-preview',
  deployments: { 'gpt-image-1': 'img1', 'gpt-image-1.5': 'img15' },
  images_per_minute: 10,
}
export const ISSUE_ENTRIES = [PRIMARY, AZURE_EAST]
