import type { ReactElement } from 'react'
import type { DevtoolsLog } from '../devtoolsLog.js'
import { clock, preview } from './format.js'

/** The last frames in and out, newest first; bodies only when the panel was asked to keep them. */
export function WirePanel({ log }: { log: DevtoolsLog }): ReactElement {
  if (log.frames.length === 0) return <p className="muted">No frame since the panel opened.</p>
  return (
    <table>
      <tbody>
        {[...log.frames].reverse().map((frame, index) => (
          <tr key={log.frames.length - index} data-frame={frame.frame}>
            <td>{clock(frame.time)}</td>
            <td>{frame.direction === 'in' ? '←' : '→'}</td>
            <td>{frame.frame}</td>
            <td>{frame.bytes} B</td>
            <td className="muted">{frame.connection}</td>
            {frame.body !== undefined && (
              <td>
                <pre>{preview(frame.body, 0).slice(0, 500)}</pre>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  )
}
