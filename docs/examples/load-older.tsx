// docs/examples/load-older.tsx
const { records, loadOlder } = useRecords<Message>(url)
const [hasMore, setHasMore] = useState(true)
<button disabled={!hasMore} onClick={() => void loadOlder().then(setHasMore)}>Older messages</button>
