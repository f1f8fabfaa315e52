import { z } from 'zod';

// Plain-language validation messages ("must be at most 32") for every schema of the contract.
z.config({
  customError: (iss) => {
    switch (iss.code) {
      case 'too_big':
        if (iss.origin === 'number') return `must be ${iss.inclusive ? 'at most' : 'less than'} ${iss.maximum}`;
        if (iss.origin === 'string') return `must be at most ${iss.maximum} characters`;
        return `must have at most ${iss.maximum} items`;
      case 'too_small':
        if (iss.origin === 'number') return `must be ${iss.inclusive ? 'at least' : 'greater than'} ${iss.minimum}`;
        if (iss.origin === 'string') return Number(iss.minimum) <= 1 ? 'must not be empty' : `must be at least ${iss.minimum} characters`;
        return `must have at least ${iss.minimum} items`;
      case 'invalid_type': {
        const got = iss.input === undefined ? 'nothing' : iss.input === null ? 'null' : typeof iss.input === 'number' && Number.isNaN(iss.input) ? 'NaN' : typeof iss.input;
        return iss.input === undefined ? `is required (a ${iss.expected})` : `must be a ${iss.expected}, got ${got}`;
      }
      case 'unrecognized_keys':
        return `unknown field${iss.keys.length > 1 ? 's' : ''}: ${iss.keys.join(', ')}`;
      case 'invalid_value':
        return `must be one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}`;
      default:
        return undefined;
    }
  },
});
