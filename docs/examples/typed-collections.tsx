// docs/examples/typed-collections.tsx
import { z } from 'zod'
const Message = z.object({ text: z.string().max(2000) })
const url = watchRecordsUrl('com.example.message', { roomUri: 'general' })

const { records } = useRecords(url, { schema: Message })           // records[i].value: { text: string }
const message = useRecord(url, rkey, did, { schema: Message })      // one record, or undefined
