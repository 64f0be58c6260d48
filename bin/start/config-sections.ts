import { z } from 'zod'
import { CommandError } from '../../common/command-errors.js'
import { ConfigFileError, readConfigFile } from '../../common/config/config-file.js'

/**
 * The top level of the all-in-one `thermopost.yaml`: one section per part and nothing else. Each part checks
 * its own section; this check is for the names of the sections themselves, since a misspelt one (`brokr:`)
 * would otherwise leave its part on defaults without a word.
 */
const sections = z.strictObject({
  broker: z.unknown().optional(),
  service: z.unknown().optional(),
  simulator: z.unknown().optional()
})

/** Stops start-up, with the file, the line and the section it probably meant, when the file names an unknown section. */
export async function checkConfigSections(file: string): Promise<void> {
  try {
    await readConfigFile(file, sections)
  } catch (error) {
    if (error instanceof ConfigFileError) throw new CommandError(error.message)
    throw error
  }
}
