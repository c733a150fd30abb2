/** Pool entries for tests: an OpenAI-kind one and an Azure one (classic route), overridable. */
import type { PoolEntry } from '../../src/pool/entry'

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
