import type { CommandRecord } from '../../../service/api/api-types.js'
import { MISSING } from '../display-format.js'
import { h } from '../dom.js'

/** Commands shown, newest first. */
const SHOWN = 20

/**
 * The device's command history, newest first, with each command's state kept current from the live feed. Each
 * cell carries its column's name (`data-label`): on a narrow screen a command is a card of labelled cells.
 */
export class CommandList {
  readonly element: HTMLElement
  private readonly body = h('tbody')
  private commands: CommandRecord[] = []

  constructor() {
    this.element = h(
      'section',
      { class: 'panel', 'aria-labelledby': 'commands-title' },
      h('h2', { id: 'commands-title' }, 'Commands'),
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'commands' },
          h('thead', {}, h('tr', {}, ...['Time', 'Command', 'Value', 'State', 'Detail'].map((label) => h('th', { scope: 'col' }, label)))),
          this.body
        )
      )
    )
    this.render()
  }

  replace(commands: CommandRecord[]): void {
    this.commands = commands.slice(0, SHOWN)
    this.render()
  }

  upsert(command: CommandRecord): void {
    this.commands = [command, ...this.commands.filter((each) => each.id !== command.id)]
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, SHOWN)
    this.render()
  }

  private render(): void {
    if (this.commands.length === 0) {
      this.body.replaceChildren(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No commands yet.')))
      return
    }
    this.body.replaceChildren(
      ...this.commands.map((command) =>
        h(
          'tr',
          { 'data-id': command.id },
          h('td', { 'data-label': 'Time' }, new Date(command.createdAt).toLocaleString()),
          h('td', { 'data-label': 'Command' }, command.name, command.automatic === true ? ' (automatic)' : ''),
          h('td', { class: 'number', 'data-label': 'Value' }, command.value === undefined ? MISSING : String(command.value)),
          h('td', { 'data-label': 'State' }, h('span', { class: `command-state command-${command.state}` }, command.state)),
          h(
            'td',
            { 'data-label': 'Detail' },
            command.reason ?? (command.appliedValue === undefined ? '' : `applied ${command.appliedValue}`)
          )
        )
      )
    )
  }
}
