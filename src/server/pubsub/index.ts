export type { PubSub } from './types.js'
export { memoryPubSub } from './memoryPubSub.js'
export { redisPubSub } from './redisPubSub.js'
export type { RedisPubSubOptions } from './redisPubSub.js'
