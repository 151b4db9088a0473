// The panels of a dashboard, with those inside rows in place of the rows.
'use strict';

function panelsOf(dashboard) {
  const out = [];
  for (const panel of dashboard.panels || []) {
    if (panel.type === 'row') out.push(...(panel.panels || []));
    else out.push(panel);
  }
  return out;
}

module.exports = {panelsOf};
