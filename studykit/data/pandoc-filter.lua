-- studykit's one pandoc filter, used for every output format.
-- Raw HTML is off in the reader, so anything a user's note wrote as HTML stays literal text.
-- Our templates write <br> for line breaks inside table cells: turn exactly that into a break.
local BR = '<br>'

function Str(el)
  local text = el.text
  if not text:find(BR, 1, true) then
    return nil
  end
  local out = {}
  local start = 1
  while true do
    local i, j = text:find(BR, start, true)
    if not i then break end
    if i > start then table.insert(out, pandoc.Str(text:sub(start, i - 1))) end
    table.insert(out, pandoc.LineBreak())
    start = j + 1
  end
  if start <= #text then table.insert(out, pandoc.Str(text:sub(start))) end
  return out
end

-- A link in user text may only point somewhere harmless: a javascript:, vbscript: or data: target
-- (also spelled with entities or mixed case, which the reader has already decoded) keeps its text
-- and loses the link.
local function unsafe(target)
  local scheme = target:gsub('[%s%c]', ''):lower():match('^([%a][%w+.-]*):')
  return scheme == 'javascript' or scheme == 'vbscript' or scheme == 'data'
end

function Link(el)
  if unsafe(el.target) then
    return el.content
  end
  return nil
end
