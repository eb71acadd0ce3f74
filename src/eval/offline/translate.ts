/**
 * Word-for-word "translation" for the offline model. It only needs to be good enough that an
 * English test (`icontains: refund`) fails when a prompt asks for another language — which is what
 * a real model would do to such a test.
 */
import type { Language } from './instructions.ts';

const DICTIONARIES: Record<Exclude<Language, 'english'>, Record<string, string>> = {
  french: {
    the: 'le', customer: 'client', user: 'utilisateur', was: 'a été', were: 'ont été', charged: 'facturé',
    twice: 'deux fois', refund: 'remboursement', refunds: 'remboursements', password: 'mot de passe',
    reset: 'réinitialisation', email: 'courriel', error: 'erreur', dashboard: 'tableau de bord',
    team: 'équipe', order: 'commande', replacement: 'remplacement', screen: 'écran', cracked: 'fissuré',
    wants: 'veut', want: 'veut', and: 'et', for: 'pour', with: 'avec', their: 'leur', they: 'ils',
    not: 'pas', a: 'un', is: 'est', are: 'sont', to: 'à', of: 'de', in: 'dans', on: 'sur', never: 'jamais',
    arrives: 'arrive', arrived: 'arrivé', business: 'ouvrables', days: 'jours', within: 'sous',
    yes: 'oui', we: 'nous', you: 'vous', your: 'votre', can: 'pouvez', support: 'assistance',
    ticket: 'ticket', open: 'ouvrir', know: 'savons', do: 'faire', plan: 'forfait', annual: 'annuel',
    duplicate: 'en double', would: 'voudrait', like: 'aimer', since: 'depuis', morning: 'matin',
  },
  spanish: {
    the: 'el', customer: 'cliente', user: 'usuario', was: 'fue', charged: 'cobrado', twice: 'dos veces',
    refund: 'reembolso', password: 'contraseña', reset: 'restablecimiento', email: 'correo',
    error: 'error', order: 'pedido', replacement: 'reemplazo', screen: 'pantalla', wants: 'quiere',
    and: 'y', for: 'para', with: 'con', their: 'su', not: 'no', a: 'un', is: 'es', to: 'a', of: 'de',
    in: 'en', yes: 'sí', we: 'nosotros', you: 'usted', your: 'su', business: 'hábiles', days: 'días',
    within: 'dentro de', never: 'nunca', arrives: 'llega', support: 'soporte',
  },
  german: {
    the: 'der', customer: 'Kunde', user: 'Nutzer', was: 'wurde', charged: 'belastet', twice: 'zweimal',
    refund: 'Rückerstattung', password: 'Passwort', reset: 'Zurücksetzung', email: 'E-Mail',
    error: 'Fehler', order: 'Bestellung', replacement: 'Ersatz', screen: 'Bildschirm', wants: 'will',
    and: 'und', for: 'für', with: 'mit', their: 'ihr', not: 'nicht', a: 'ein', is: 'ist', to: 'zu',
    of: 'von', in: 'in', yes: 'ja', we: 'wir', you: 'Sie', your: 'Ihr', business: 'Werk', days: 'Tage',
    within: 'innerhalb von', never: 'nie', arrives: 'ankommt', support: 'Support',
  },
};

/** Replaces every known word, keeping the capitalisation of the first letter. */
export function translate(text: string, language: Language): string {
  if (language === 'english') return text;
  const dict = DICTIONARIES[language];
  return text.replace(/\p{L}+/gu, (word) => {
    const alt = dict[word.toLowerCase()];
    if (alt === undefined) return word;
    const first = word.charAt(0);
    return first === first.toUpperCase() && first !== first.toLowerCase()
      ? alt.charAt(0).toUpperCase() + alt.slice(1)
      : alt;
  });
}
