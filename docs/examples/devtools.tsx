// docs/examples/devtools.tsx
import { SyncProvider } from 'syncline'
import { SyncDevtools } from 'syncline/devtools'
import type { ReactNode } from 'react'

export function Root({ children }: { children: ReactNode }) {
  return (
    <SyncProvider url="wss://sync.example.com" recordsBaseUrl="https://sync.example.com">
      {children}
      <SyncDevtools position="bottom-right" />
    </SyncProvider>
  )
}
