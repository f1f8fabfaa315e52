import type { z } from 'zod';
import { ENVIRONMENTS, type EnvironmentId, type FluidTool2DSettings } from '@shared/environments';
import { degreesToRadians, radiansToDegrees } from './format';
import type { FieldUnit } from './validation';

// The create dialog edits FluidTool-2D settings as text fields; this file maps between those
// texts and the settings object, in the units a user reads (degrees) and the API expects (radians).

const schema = ENVIRONMENTS['fluidtool-2d'].settings.shape;
const range = schema.taskRange.shape;

export interface SettingField {
  /** path inside settings, also the API issue path after "settings." */
  path: string;
  label: string;
  schema: z.ZodNumber;
  unit?: FieldUnit;
}

export interface SettingGroup {
  title: string;
  fields: SettingField[];
}

const DEGREES: FieldUnit = { suffix: '°', toShown: radiansToDegrees, toStored: degreesToRadians };

export const SETTING_GROUPS: SettingGroup[] = [
  {
    title: 'Simulation',
    fields: [
      { path: 'particles', label: 'Particles', schema: schema.particles },
      { path: 'grid', label: 'Grid cells per side', schema: schema.grid },
      { path: 'frames', label: 'Frames', schema: schema.frames },
      { path: 'substeps', label: 'Substeps per frame', schema: schema.substeps },
    ],
  },
  {
    title: 'Tool and target',
    fields: [
      { path: 'joints', label: 'Joints', schema: schema.joints },
      { path: 'thetaMax', label: 'Max bend per joint', schema: schema.thetaMax, unit: DEGREES },
      { path: 'targetRadius', label: 'Target radius', schema: schema.targetRadius },
    ],
  },
  {
    title: 'Task range (target centre)',
    fields: [
      { path: 'taskRange.xMin', label: 'Target x min', schema: range.xMin },
      { path: 'taskRange.xMax', label: 'Target x max', schema: range.xMax },
      { path: 'taskRange.yMin', label: 'Target y min', schema: range.yMin },
      { path: 'taskRange.yMax', label: 'Target y max', schema: range.yMax },
    ],
  },
];

export const SETTING_FIELDS: SettingField[] = SETTING_GROUPS.flatMap((g) => g.fields);

/** units by path inside settings, for messages that quote a bound */
export const SETTING_UNITS: Record<string, FieldUnit> = Object.fromEntries(
  SETTING_FIELDS.flatMap((f) => (f.unit ? [[f.path, f.unit]] : [])),
);

function shown(value: number, unit?: FieldUnit): number {
  return Number((unit ? unit.toShown(value) : value).toPrecision(6));
}

/** "4 – 32", "> 0, ≤ 90°": the schema's own bounds, in the unit shown */
export function rangeHint(field: SettingField): string {
  const { minValue, maxValue } = field.schema;
  if (minValue === null || maxValue === null) return '';
  const suffix = field.unit?.suffix ?? '';
  const min = `${shown(minValue, field.unit)}${suffix}`;
  const max = `${shown(maxValue, field.unit)}${suffix}`;
  // the schema knows whether a bound is allowed; ask it rather than duplicate the rule
  const minAllowed = field.schema.safeParse(minValue).success;
  const maxAllowed = field.schema.safeParse(maxValue).success;
  if (minAllowed && maxAllowed) return `${min} – ${max}`;
  return `${minAllowed ? '≥' : '>'} ${min}, ${maxAllowed ? '≤' : '<'} ${max}`;
}

function read(settings: FluidTool2DSettings, path: string): number {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], settings) as number;
}

/** settings → the texts the form starts from */
export function settingsToTexts(environment: EnvironmentId): Record<string, string> {
  const defaults = ENVIRONMENTS[environment].defaults;
  return Object.fromEntries(SETTING_FIELDS.map((f) => [f.path, String(shown(read(defaults, f.path), f.unit))]));
}

/** texts → a settings object (not yet validated); blanks and junk become NaN, which the schema rejects */
export function textsToSettings(texts: Record<string, string>): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  const taskRange: Record<string, number> = {};
  for (const field of SETTING_FIELDS) {
    const text = (texts[field.path] ?? '').trim();
    const number = text === '' ? Number.NaN : Number(text);
    const value = field.unit ? field.unit.toStored(number) : number;
    const dot = field.path.indexOf('.');
    if (dot >= 0) taskRange[field.path.slice(dot + 1)] = value;
    else settings[field.path] = value;
  }
  settings.taskRange = taskRange;
  return settings;
}
